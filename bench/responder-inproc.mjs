// Per-request cost of the bundled responder with a warm thumbprint cache, in process: many
// iterations of baseHandler (the logic) and handler (with middy), awaited one at a time.
// The per-request JSON log line the handler writes is included, as it is on Lambda. Bounded: RUNS runs of ITERATIONS each, and stops early past BUDGET_MS. Prints one JSON line.
const [bundle, token, iterationsArg, runsArg, outFile] = process.argv.slice(2);
const { writeFileSync } = await import('node:fs');
const ITERATIONS = Number(iterationsArg ?? 100000);
const RUNS = Number(runsArg ?? 7);
const BUDGET_MS = 30000;
const { baseHandler, handler } = await import(bundle);
const event = {
  requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0' } },
  httpMethod: 'GET',
  path: `/.well-known/acme-challenge/${token}`,
  queryStringParameters: {},
  headers: { host: 'bench.example.com', 'user-agent': 'inproc' },
  body: '',
  isBase64Encoded: false,
};
const first = await handler(event, {});
if (first.statusCode !== 200) throw new Error(`warm-up answered ${first.statusCode}: ${first.body}`);
const started = performance.now();
async function measure(fn) {
  const out = [];
  for (let run = 0; run < RUNS && performance.now() - started < BUDGET_MS; run++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) await fn(event, {});
    out.push(Number(process.hrtime.bigint() - t0) / ITERATIONS);
  }
  return out;
}
for (let i = 0; i < 10000; i++) await baseHandler(event);
const base = await measure(baseHandler);
const middy = await measure(handler);
// The handler logs one JSON line per request to stdout (as on Lambda); the caller sends stdout to
// /dev/null, so the result goes to a file.
writeFileSync(outFile, `${JSON.stringify({ iterations: ITERATIONS, baseHandlerNs: base, middyNs: middy, body: first.body })}\n`);
