// Part 2: the responder, judged by what Lambda bills and users feel: the bundle's size, its
// in-process cost per request with a warm cache, its cold initialisation in a plain node process,
// and its cold start to first answer under the real Lambda runtime beside a minimal handler.
// (The local ALB adapter is a development tool: its throughput is not measured.)
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { measure, run } from './lib/proc.js';
import type { BenchStack } from './lib/stack.js';
import { repoRoot } from './lib/stack.js';
import { summarize } from './lib/stats.js';
import { benchDir } from './lib/tools.js';
import { runLambdaColdStart } from './lambda-cold-start.js';

const handlerBundle = () => join(benchDir, 'dist', 'handler.mjs');

export async function runResponder(stack: BenchStack, log: (line: string) => void) {
  const env = { ...stack.env };
  const options = { cwd: repoRoot, env, timeoutMs: 120_000 };
  const token = randomBytes(32).toString('base64url');
  const bundle = handlerBundle();

  // Bundle size (the Lambda's code is this one file).
  const bytes = statSync(bundle).size;
  const gzipBytes = gzipSync(readFileSync(bundle), { level: 9 }).length;
  log(`responder: bundle ${(bytes / 1024).toFixed(0)} KiB (${(gzipBytes / 1024).toFixed(0)} KiB gzipped)`);

  // In process, warm cache.
  const iterations = Number(process.env.BENCH_INPROC_ITERATIONS ?? 100_000);
  const inprocOut = join(benchDir, 'inproc.json');
  await run('bash', ['-c', '"$0" bench/responder-inproc.mjs "$@" > /dev/null', process.execPath, bundle, token, String(iterations), '7', inprocOut], options);
  const inproc = JSON.parse(readFileSync(inprocOut, 'utf8')) as {
    baseHandlerNs: number[];
    middyNs: number[];
    body: string;
  };
  const inProcess = { iterations, baseHandlerNs: summarize(inproc.baseHandlerNs), middyNs: summarize(inproc.middyNs) };
  log(`responder: in process ${inProcess.baseHandlerNs.median.toFixed(0)} ns (baseHandler), ${inProcess.middyNs.median.toFixed(0)} ns (middy handler) per request`);

  // Cold init: a new node process per round.
  const coldRounds = Number(process.env.BENCH_COLD_ROUNDS ?? 15);
  const cold: { importMs: number; firstAnswerMs: number; processMs: number; bootMs: number }[] = [];
  for (let i = 0; i < coldRounds; i++) {
    const result = await measure(process.execPath, ['bench/cold-init.mjs', bundle, token], options);
    if (result.code !== 0) throw new Error(`cold init failed: ${result.stderr}`);
    const line = JSON.parse(result.stdout.split('\n').find((l) => l.startsWith('{"bootMs"')) ?? '{}') as { importMs: number; firstAnswerMs: number; bootMs: number; status: number };
    if (line.status !== 200) throw new Error(`cold init answered ${line.status}`);
    cold.push({ ...line, processMs: result.wallMs });
  }
  const coldInit = {
    rounds: coldRounds,
    bootMs: summarize(cold.map((c) => c.bootMs)),
    importMs: summarize(cold.map((c) => c.importMs)),
    firstAnswerMs: summarize(cold.map((c) => c.firstAnswerMs)),
    processMs: summarize(cold.map((c) => c.processMs)),
  };
  log(`responder: cold init import ${coldInit.importMs.median.toFixed(0)} ms, to first answer ${coldInit.firstAnswerMs.median.toFixed(0)} ms`);

  // Cold start under the real Lambda runtime, beside a minimal handler under the same runtime.
  const lambdaColdStart = await runLambdaColdStart(bundle, env, coldEvent(token), log);
  if ('rows' in lambdaColdStart) {
    const [ours, minimal] = lambdaColdStart.rows;
    log(`responder: under the Lambda runtime, first answer ${ours!.firstAnswerMs.median.toFixed(0)} ms against the minimal handler's ${minimal!.firstAnswerMs.median.toFixed(0)} ms`);
  } else log(`responder: Lambda cold start not measured: ${lambdaColdStart.skipped}`);

  return {
    token,
    bundle: { file: '.local/bench/dist/handler.mjs', bytes, gzipBytes },
    inProcess,
    coldInit,
    lambdaColdStart,
  };
}

/** The ALB event of one validation request (the same as cold-init.mjs sends). */
function coldEvent(token: string) {
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0' } },
    httpMethod: 'GET',
    path: `/.well-known/acme-challenge/${token}`,
    queryStringParameters: {},
    headers: { host: 'bench.example.com', 'user-agent': 'cold-start' },
    body: '',
    isBase64Encoded: false,
  };
}
