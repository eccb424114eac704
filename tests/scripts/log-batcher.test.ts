// The local ALB adapter's output batching (scripts/local/log-batcher.ts), in real child
// processes whose stdout and stderr share one file, as `just up` starts the adapter: every line
// arrives, in the order written, however the process ends.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/local-stack.js';

const dir = mkdtempSync(join(tmpdir(), 'log-batcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Runs the child with stdout and stderr on one file (`2>&1`), or each on its own file. */
async function runChild(mode: string, options: { statsFile?: string; separate?: boolean } = {}): Promise<Run & { stderr?: string }> {
  const outFile = join(dir, `${mode}.log`);
  const errFile = join(dir, `${mode}.err.log`);
  const out = openSync(outFile, 'w');
  const err = options.separate ? openSync(errFile, 'w') : out;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/log-batcher-child.ts', mode, ...(options.statsFile ? [options.statsFile] : [])], {
      cwd: repoRoot,
      stdio: ['ignore', out, err],
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    return { code, signal, output: readFileSync(outFile, 'utf8'), ...(options.separate ? { stderr: readFileSync(errFile, 'utf8') } : {}) };
  } finally {
    closeSync(out);
    if (err !== out) closeSync(err);
  }
}

/** The sequence numbers of the child's lines, in file order, and which stream wrote each. */
function sequence(output: string): { numbers: number[]; streams: string[] } {
  const lines = output.split('\n').filter((l) => l.startsWith('seq '));
  return { numbers: lines.map((l) => Number(l.split(' ')[1])), streams: lines.map((l) => l.split(' ')[2]!) };
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('log batcher', () => {
  it('writes every line in order when the event loop drains, in far fewer writes than lines', async () => {
    const statsFile = join(dir, 'stats.json');
    const run = await runChild('drain', { statsFile });
    expect(run.code).toBe(0);
    const { numbers, streams } = sequence(run.output);
    expect(numbers).toEqual(upTo(1000));
    // stdout and stderr stay interleaved as written (every 7th line is stderr)
    expect(streams.filter((s) => s === 'err')).toHaveLength(upTo(1000).filter((n) => n % 7 === 3).length);
    expect(streams.every((s, n) => s === (n % 7 === 3 ? 'err' : 'out'))).toBe(true);
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { lines: number; writes: number };
    expect(stats.lines).toBe(1000);
    // one write per run of same-stream lines, per turn, per 64 KiB: well under one per line
    expect(stats.writes).toBeLessThan(stats.lines / 2);
  });

  it('keeps each line on its own stream when stdout and stderr are different files', async () => {
    const run = await runChild('drain', { separate: true });
    expect(run.code).toBe(0);
    const out = sequence(run.output);
    const err = sequence(run.stderr!);
    expect(out.streams.every((s) => s === 'out')).toBe(true);
    expect(err.streams.every((s) => s === 'err')).toBe(true);
    expect(out.numbers).toEqual(upTo(1000).filter((n) => n % 7 !== 3));
    expect(err.numbers).toEqual(upTo(1000).filter((n) => n % 7 === 3));
  });

  it('writes the lines still waiting when the process calls process.exit', async () => {
    const run = await runChild('exit');
    expect(run.code).toBe(3);
    expect(sequence(run.output).numbers).toEqual(upTo(1000));
  });

  it('writes the lines still waiting when an exception is uncaught, before node prints it', async () => {
    const run = await runChild('throw');
    expect(run.code).toBe(1);
    expect(sequence(run.output).numbers).toEqual(upTo(1000));
    expect(run.output.indexOf('uncaught on purpose')).toBeGreaterThan(run.output.lastIndexOf('seq 999 '));
  });

  it('writes the lines still waiting on SIGTERM, and the process still dies of it when nobody else listens', async () => {
    const run = await runChild('default-sigterm');
    expect(run.signal).toBe('SIGTERM');
    expect(sequence(run.output).numbers).toEqual(upTo(1100));
  });

  it('writes the lines still waiting on SIGTERM when the process handles it itself (as the adapter does)', async () => {
    const run = await runChild('handled-sigterm');
    expect(run.code).toBe(0);
    expect(sequence(run.output).numbers).toEqual(upTo(1100));
  });
});
