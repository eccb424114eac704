// Part 5: the declared set in S3 with nothing due. For N declarations (10,000, and 10 as the peer
// in the same run) it writes into a bucket of its own in moto what `declare` and earlier sweeps
// leave behind: declared/NAME.json for each, the summary declared/_index.json, and the renewal
// index renewal/_index.json saying each is issued and not due. Then it runs `renew` (CERTIFICATES
// empty: the store's declarations are the set) several times and counts the requests moto served
// during each run, from moto's own request log. The claim: the count does not grow with N.
import { join } from 'node:path';
import { layout, type Declaration, type DeclaredIndex, type IndexEntry, type RenewalIndex } from '../lib/core/index.js';
import { benchBucket } from './lib/bench-bucket.js';
import { settledCount } from './lib/moto-requests.js';
import { measure, tail } from './lib/proc.js';
import type { BenchStack } from './lib/stack.js';
import { summarize } from './lib/stats.js';
import { cliBundle } from './lib/tools.js';

const DAY = 86_400_000;

/** Runs tasks with at most `width` in flight (seeding 10,000 objects one by one would take minutes). */
async function pool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export async function runDeclarations(stack: BenchStack, log: (line: string) => void) {
  const sizes = (process.env.BENCH_DECLARATIONS_SIZES ?? '10,10000').split(',').map(Number);
  const rounds = Number(process.env.BENCH_DECLARATIONS_ROUNDS ?? 3);
  const motoLog = join(stack.stateDir, 'logs', 'moto.log');
  const rows = [];
  for (const n of sizes) {
    const bucket = `acme-bench-declared-${n}`;
    const { options, put } = await benchBucket(stack, bucket);

    const seedStarted = performance.now();
    const now = Date.now();
    const declarations: Record<string, Declaration> = {};
    const entries: Record<string, IndexEntry> = {};
    const names = Array.from({ length: n }, (_, i) => `declared-${i}`);
    await pool(names, Number(process.env.BENCH_DECLARATIONS_PUT_CONCURRENCY ?? 48), async (name) => {
      const domain = `${name}.declared${n}.example.com`;
      const declaration: Declaration = {
        version: 1,
        name,
        domains: [domain],
        keyType: 'ec-p256',
        directoryUrl: stack.ourDirectory,
        owner: 'arn:aws:iam::123456789012:role/bench-platform-team',
        declaredBy: 'arn:aws:iam::123456789012:role/bench-platform-team',
        declaredAt: new Date(now - DAY).toISOString(),
      };
      await put(layout.declared(name), `${JSON.stringify(declaration, null, 2)}\n`);
      declarations[name] = declaration;
      // Issued ten days ago, 90-day lifetime, due at a third left: nothing due today.
      const notAfter = new Date(now + 80 * DAY).toISOString();
      entries[name] = {
        state: 'active',
        domainsKey: domain,
        keyType: 'ec-p256',
        directoryUrl: stack.ourDirectory,
        serial: '0a',
        notAfter,
        renewAt: new Date(now + 50 * DAY).toISOString(),
        retryAt: undefined,
        ariCheckAt: undefined,
        acmArns: [],
      };
    });
    const summary: DeclaredIndex = { version: 1, entries: declarations };
    const summaryText = `${JSON.stringify(summary)}\n`;
    const index: RenewalIndex = { version: 1, entries };
    await put(layout.declaredIndex, summaryText);
    await put(layout.renewalIndex, `${JSON.stringify(index)}\n`);
    const seedMs = performance.now() - seedStarted;
    log(`declarations: ${n} declared/*.json, the summary (${(summaryText.length / 1024).toFixed(0)} KiB) and the renewal index written in ${(seedMs / 1000).toFixed(1)} s`);

    const samples = [];
    for (let round = 1; round <= rounds; round++) {
      const before = await settledCount(motoLog, bucket);
      const result = await measure(process.execPath, [cliBundle, 'renew', '--json'], options);
      const after = await settledCount(motoLog, bucket);
      const line = result.stdout.split('\n').find((l) => l.includes('"event":"renew-summary"'));
      const parsed = line ? (JSON.parse(line) as Record<string, number>) : undefined;
      const ok = result.code === 0 && parsed?.skipped === n && parsed.issued === 0 && parsed.renewed === 0;
      samples.push({ round, wallMs: result.wallMs, maxRssKb: result.maxRssKb, s3Requests: after.s3 - before.s3, allRequests: after.total - before.total, ok });
      log(
        `  declarations ${n} r${round}: ${after.s3 - before.s3} S3 requests (${after.total - before.total} to moto in all), ${(result.wallMs / 1000).toFixed(2)} s, max RSS ${(result.maxRssKb / 1024).toFixed(0)} MiB${ok ? '' : ` NOT OK\n${tail(result.stdout, 6)}\n${tail(result.stderr, 6)}`}`,
      );
    }
    const good = samples.filter((x) => x.ok);
    rows.push({
      n,
      bucket,
      summaryBytes: summaryText.length,
      seedMs,
      samples,
      s3Requests: good.length > 0 ? Math.max(...good.map((x) => x.s3Requests)) : Number.NaN,
      wall: summarize(good.map((x) => x.wallMs)),
      maxRssKb: Math.max(0, ...good.map((x) => x.maxRssKb)),
    });
  }
  const smallest = rows[0];
  const largest = rows[rows.length - 1];
  const ratio = smallest !== undefined && largest !== undefined ? largest.s3Requests / smallest.s3Requests : Number.NaN;
  if (smallest !== undefined && largest !== undefined && rows.length > 1) {
    log(
      `declarations: renew with nothing due, ${largest.n} declarations: ${largest.s3Requests} S3 requests; ${smallest.n} declarations (the peer, same run): ${smallest.s3Requests}; ratio ${ratio.toFixed(2)} (O(1) when ~1)`,
    );
  }
  return {
    method: "S3 requests counted from moto's own request log during each `renew --json` run (CERTIFICATES empty: the declarations in declared/ are the set; the bundle, node dist/cli.mjs); the worst of the rounds",
    rows,
    ratio,
  };
}
