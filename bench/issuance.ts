// Part 1: whole-process issuance, ours beside certbot and lego, interleaved round by round.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { measure, tail } from './lib/proc.js';
import { roundOrder } from './lib/order.js';
import { selected } from './lib/selection.js';
import type { BenchStack } from './lib/stack.js';
import { repoRoot } from './lib/stack.js';
import { summarize, type Summary } from './lib/stats.js';
import { benchDir, cliBundle, ourTools, peerTools, type Cert, type Invocation, type Tool } from './lib/tools.js';

export interface CaseSpec {
  readonly id: 'one-name' | 'fifty-names' | 'twenty-certs';
  readonly title: string;
  readonly certs: number;
  readonly names: number;
  readonly rounds: number;
}

export interface Sample {
  readonly round: number;
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly ok: boolean;
  readonly processes: number;
  readonly error?: string;
  /** Ours only: the milliseconds of each step the CLI reported (summed over processes), to see where a round's time went. */
  readonly steps?: Record<string, number>;
}

export interface ToolResult {
  readonly tool: string;
  readonly label: string;
  readonly ours: boolean;
  /** How this tool ran the case (one process per certificate, or one reconcile run). */
  readonly mode: string;
  readonly samples: Sample[];
  readonly wall: Summary;
  readonly maxRssKb: number;
}

export interface CaseResult extends CaseSpec {
  readonly tools: ToolResult[];
}

// lego solves HTTP-01 authorizations one after another, about 3-7 s each against pebble: 50 names take minutes.
const PROCESS_TIMEOUT_MS = Number(process.env.BENCH_PROCESS_TIMEOUT_MS ?? 600_000);

export function cases(): CaseSpec[] {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const bigRounds = Number(process.env.BENCH_BIG_ROUNDS ?? 3);
  const all: CaseSpec[] = [
    { id: 'one-name', title: '1 certificate, 1 name', certs: 1, names: 1, rounds },
    { id: 'fifty-names', title: '1 certificate, 50 names', certs: 1, names: 50, rounds: bigRounds },
    { id: 'twenty-certs', title: '20 certificates x 3 names', certs: 20, names: 3, rounds: bigRounds },
  ];
  // BENCH_CASES=one-name,… runs only those; run.ts carries the others over from latest.json.
  return selected(all, process.env.BENCH_CASES);
}

async function once(invocation: Invocation) {
  return measure(invocation.command, invocation.args, { cwd: repoRoot, env: invocation.env, timeoutMs: PROCESS_TIMEOUT_MS });
}

/** Runs several processes one after another, as a shell loop would; wall is first start to last exit. */
async function sequence(tool: Tool, certs: readonly Cert[]): Promise<Omit<Sample, 'round'>> {
  let wallMs = 0;
  let maxRssKb = 0;
  const steps: Record<string, number> = {};
  for (const cert of certs) {
    const result = await once(tool.issue(cert));
    wallMs += result.wallMs;
    maxRssKb = Math.max(maxRssKb, result.maxRssKb);
    if (tool.ours) addSteps(steps, result.stdout);
    if (result.code !== 0 || !tool.landed(cert, result.stdout)) {
      return { wallMs, maxRssKb, ok: false, processes: certs.length, error: `${cert.name}: exit ${result.code}\n${tail(result.stdout, 8)}\n${tail(result.stderr, 8)}` };
    }
  }
  return { wallMs, maxRssKb, ok: true, processes: certs.length, ...(tool.ours ? { steps } : {}) };
}

/** Adds the durations of the CLI's `step` events (one JSON line each on stdout) to `steps`. */
function addSteps(steps: Record<string, number>, stdout: string): void {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"time"') || !line.includes('"event":"step"')) continue;
    const event = JSON.parse(line) as { step?: string; durationMs?: number };
    if (event.step !== undefined && typeof event.durationMs === 'number') steps[event.step] = (steps[event.step] ?? 0) + event.durationMs;
  }
}

export async function hasRenew(stack: BenchStack): Promise<boolean> {
  if (process.env.BENCH_OURS_RENEW === 'false') return false;
  const help = await once({ command: process.execPath, args: [cliBundle, '--help'], env: stack.env });
  return /^\s+renew\b/m.test(help.stdout);
}

export async function runIssuance(stack: BenchStack, log: (line: string) => void): Promise<{ cases: CaseResult[]; oursRenew: boolean }> {
  const runId = randomBytes(3).toString('hex');
  const ours = ourTools(stack);
  // BENCH_TOOLS=ours,certbot,… runs only those, to look into some tools' numbers (run.ts keeps
  // such a run out of latest.json and the docs).
  const tools: Tool[] = selected([ours.bundle, ours.node20, ours.tsx, ...peerTools(stack)], process.env.BENCH_TOOLS);
  const oursRenew = await hasRenew(stack);
  log(`issuance: run ${runId}; tools: ${tools.map((t) => t.id).join(', ')}; ours 20-cert case: ${oursRenew ? 'one `renew` run (CERTIFICATES)' : '20 `issue` processes (no `renew` command yet)'}`);

  const certsFor = (spec: CaseSpec, tool: Tool, round: number | 'warm'): Cert[] =>
    Array.from({ length: spec.certs }, (_, c) => {
      const tag = `${spec.id.slice(0, 3)}${round}${tool.id.replace(/[^a-z]/g, '').slice(0, 8)}${c}`;
      return {
        name: `b-${runId}-${tag}`,
        domains: Array.from({ length: spec.names }, (_, n) => `n${n}.${tag}.${runId}.example.com`),
      };
    });

  // Pebble keeps accounts in memory and the stack is fresh: the peers' saved accounts go too.
  rmSync(join(benchDir, 'peers'), { recursive: true, force: true });
  // Warm-up (not counted): registers every tool's account and fills the page cache.
  const warm: CaseSpec = { id: 'one-name', title: 'warm-up', certs: 1, names: 1, rounds: 1 };
  for (const tool of tools) {
    const sample = await sequence(tool, certsFor(warm, tool, 'warm'));
    log(`  warm-up ${tool.id}: ${(sample.wallMs / 1000).toFixed(2)} s ${sample.ok ? 'ok' : `FAILED\n${sample.error}`}`);
    if (!sample.ok) throw new Error(`warm-up failed for ${tool.id}; fix that before benchmarking`);
  }

  const results: CaseResult[] = [];
  for (const spec of cases()) {
    const samples = new Map<string, Sample[]>(tools.map((t) => [t.id, []]));
    for (let round = 1; round <= spec.rounds; round++) {
      // A new order every round, so no tool always runs first or right after the same neighbour.
      const order = roundOrder(tools, `${runId}:${spec.id}`, round);
      for (const tool of order) {
        const certs = certsFor(spec, tool, round);
        let sample: Omit<Sample, 'round'>;
        if (tool.ours && spec.certs > 1 && oursRenew) {
          const result = await once((tool as ReturnType<typeof ourTools>['bundle']).renew(certs));
          const listed = await once({ command: process.execPath, args: [cliBundle, 'list', '--json'], env: stack.env });
          const missing = certs.filter((c) => !listed.stdout.includes(`"name":"${c.name}"`));
          const ok = result.code === 0 && missing.length === 0;
          sample = {
            wallMs: result.wallMs,
            maxRssKb: result.maxRssKb,
            ok,
            processes: 1,
            ...(ok ? {} : { error: `renew exit ${result.code}; missing ${missing.map((c) => c.name).join(' ')}\n${tail(result.stdout, 8)}\n${tail(result.stderr, 8)}` }),
          };
        } else {
          sample = await sequence(tool, certs);
        }
        samples.get(tool.id)!.push({ round, ...sample });
        const steps =
          sample.steps === undefined
            ? ''
            : ` (${Object.entries(sample.steps)
                .map(([name, ms]) => `${name} ${ms}`)
                .join(', ')} ms)`;
        log(`  ${spec.id} r${round} ${tool.id}: ${(sample.wallMs / 1000).toFixed(2)} s, max RSS ${(sample.maxRssKb / 1024).toFixed(0)} MiB${sample.ok ? steps : ` FAILED\n${sample.error}`}`);
      }
    }
    results.push({
      ...spec,
      tools: tools.map((tool) => {
        const list = samples.get(tool.id)!;
        const good = list.filter((s) => s.ok);
        return {
          tool: tool.id,
          label: tool.label,
          ours: tool.ours,
          mode: spec.certs === 1 ? 'one process' : tool.ours && oursRenew ? 'one `renew` run' : `${spec.certs} processes, one per certificate`,
          samples: list,
          wall: summarize(good.map((s) => s.wallMs)),
          maxRssKb: Math.max(0, ...good.map((s) => s.maxRssKb)),
        };
      }),
    });
  }
  return { cases: results, oursRenew };
}
