// Whole-process measurement: wall time taken here (spawn to exit) and max RSS from GNU time.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measured {
  readonly wallMs: number;
  /** Peak resident set of the process (kB), from GNU time's %M; 0 when unknown. */
  readonly maxRssKb: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Hard limit: the process (group) is killed past it and the run counts as failed. */
  readonly timeoutMs: number;
}

const GNU_TIME = '/usr/bin/time';

export async function measure(command: string, args: readonly string[], options: RunOptions): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const timeFile = join(dir, 'time');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[bench] killed after ${options.timeoutMs} ms`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      let maxRssKb = 0;
      try {
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        maxRssKb = Number(lines[lines.length - 1]) || 0;
      } catch {
        /* killed before time wrote */
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ wallMs, maxRssKb, code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs a command to completion (setup steps, not measured); throws with its output on failure. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  const result = await measure(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${tail(result.stdout)}\n${tail(result.stderr)}`);
  }
  return result.stdout;
}

export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
