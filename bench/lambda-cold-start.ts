// Cold start to first answer under the real Lambda runtime (scripts/local/lambda-runtime.ts: the
// emulator, aws-lambda-ric, Node 24), what a user waits for when a validation finds no warm
// environment: the bundled responder with the template's
// settings, beside a minimal handler under the same runtime (bench/minimal-handler.mjs), in
// alternating rounds. Each round is a new execution environment: emulator, runtime, import, one
// invocation (the responder's reads account/jwk.json from moto, as on a real cold start), then a
// second, warm one. The emulator starts the runtime on the first invocation and reports its REPORT
// line's Init Duration as ~0 and Max Memory Used as the memory size, so neither is recorded: the
// first invocation's Duration includes the init there, and the warm one shows what is left.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLambdaFunction } from '../scripts/local/lambda-runtime.js';
import { responderFunction, type ResponderFunction } from '../scripts/local/responder-asset.js';
import { responderCredentials, responderVariables } from '../scripts/local/responder-function.js';
import { runtimePaths } from '../scripts/local/runtimes.mjs';
import { repoRoot } from './lib/stack.js';
import { roundOrder } from './lib/order.js';
import { summarize, type Summary } from './lib/stats.js';
import { benchDir } from './lib/tools.js';

export interface ColdStartRow {
  readonly id: 'responder' | 'minimal';
  /** From asking for an environment to the first answer (emulator and runtime start, import, invocation). */
  readonly firstAnswerMs: Summary;
  /** The first invocation's REPORT Duration (under the emulator: init included), what Lambda bills for a cold start. */
  readonly firstDurationMs: Summary;
  /** The second invocation, warm: from asking to its answer. */
  readonly warmAnswerMs: Summary;
}

export type LambdaColdStart = { readonly rounds: number; readonly runtime: string; readonly rows: readonly ColdStartRow[] } | { readonly skipped: string };

const DURATION = /\tDuration: ([\d.]+) ms/;

/** A code folder holding `file` as index.mjs, as the asset does. */
function codeDir(name: string, file: string): string {
  const dir = join(benchDir, 'dist', 'lambda', name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, 'index.mjs'));
  return dir;
}

async function oneColdStart(fn: ResponderFunction, dir: string, env: Record<string, string>, event: unknown) {
  const lines: string[] = [];
  const started = performance.now();
  const lambda = await startLambdaFunction({
    codeDir: dir,
    handler: fn.handler,
    runtime: 'nodejs24.x',
    environment: responderVariables(fn, env),
    functionName: 'bench-cold-start',
    memorySizeMb: fn.memorySizeMb,
    timeoutSeconds: fn.timeoutSeconds,
    logFormat: fn.logFormat,
    region: env.AWS_REGION || 'us-east-1',
    credentials: responderCredentials(env),
    output: (line) => void lines.push(line),
  });
  try {
    const result = (await lambda.invoke(event)) as { statusCode?: number };
    const firstAnswerMs = performance.now() - started;
    if (result.statusCode !== 200) throw new Error(`cold start answered ${result.statusCode}`);
    const warmStarted = performance.now();
    await lambda.invoke(event);
    const warmAnswerMs = performance.now() - warmStarted;
    // the emulator may write REPORT just after the answer
    for (let i = 0; i < 50 && lines.filter((l) => l.startsWith('REPORT ')).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const report = lines.find((l) => l.startsWith('REPORT ')) ?? '';
    return { firstAnswerMs, firstDurationMs: Number(DURATION.exec(report)?.[1] ?? Number.NaN), warmAnswerMs };
  } finally {
    await lambda.stop();
  }
}

export async function runLambdaColdStart(bundle: string, env: Record<string, string>, event: unknown, log: (line: string) => void): Promise<LambdaColdStart> {
  const paths = runtimePaths();
  const missing = [paths.emulator.bin, paths.ric.entry, paths.lambda.node].filter((file) => !existsSync(file));
  if (missing.length > 0) return { skipped: `the Lambda runtime is not installed (${missing.join(', ')}): run just install` };
  const fn = await responderFunction();
  const dirs = { responder: codeDir('responder', bundle), minimal: codeDir('minimal', join(repoRoot, 'bench', 'minimal-handler.mjs')) };
  const rounds = Number(process.env.BENCH_LAMBDA_COLD_ROUNDS ?? 10);
  const samples = { responder: [] as Awaited<ReturnType<typeof oneColdStart>>[], minimal: [] as Awaited<ReturnType<typeof oneColdStart>>[] };
  for (let round = 1; round <= rounds; round++) {
    for (const id of roundOrder(['responder', 'minimal'] as const, 'lambda-cold-start', round)) {
      const sample = await oneColdStart(fn, dirs[id], env, event);
      samples[id].push(sample);
      log(`  lambda cold start r${round} ${id}: first answer ${sample.firstAnswerMs.toFixed(0)} ms (billed duration ${sample.firstDurationMs.toFixed(0)} ms), warm ${sample.warmAnswerMs.toFixed(1)} ms`);
    }
  }
  const row = (id: 'responder' | 'minimal'): ColdStartRow => ({
    id,
    firstAnswerMs: summarize(samples[id].map((s) => s.firstAnswerMs)),
    firstDurationMs: summarize(samples[id].map((s) => s.firstDurationMs)),
    warmAnswerMs: summarize(samples[id].map((s) => s.warmAnswerMs)),
  });
  return { rounds, runtime: `${fn.runtime} (Node ${paths.lambda.version}, aws-lambda-ric ${paths.ric.version}, emulator ${paths.emulator.version})`, rows: [row('responder'), row('minimal')] };
}
