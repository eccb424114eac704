// `just bench`: brings up the bench's local stack once, runs every part, writes
// bench/results/<time>.json (+ latest.json) and refreshes docs/performance.md and the chart.
// Parts can be picked: `just bench issuance responder sweep protocol declarations` (default: all).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, versions } from './lib/env-info.js';
import { run } from './lib/proc.js';
import { repoRoot, startBenchStack } from './lib/stack.js';
import { benchDir, cliBundle, imageCompileCache, imageNode, oursRef, oursRoot } from './lib/tools.js';
import { runIssuance } from './issuance.js';
import { runResponder } from './responder.js';
import { runSweep } from './sweep.js';
import { runProtocol } from './protocol.js';
import { runDeclarations } from './declarations.js';
import { render } from './report.js';
import { buildImageBundle } from '../scripts/image-bundle.js';

const parts = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (part: string) => parts.length === 0 || parts.includes(part);
const log = (line: string) => process.stderr.write(`${line}\n`);

function bundle(entry: string, outfile: string, extra: string[] = []): void {
  execFileSync(
    join(repoRoot, 'node_modules/.bin/esbuild'),
    [
      entry,
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--format=esm',
      `--outfile=${outfile}`,
      '--log-level=warning',
      "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      ...extra,
    ],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}

async function main(): Promise<void> {
  const startedAt = new Date();
  // Taken before anything runs: the working tree may change while the bench does.
  const toolVersions = versions();
  const machineAtStart = machine();
  mkdirSync(join(benchDir, 'dist'), { recursive: true });
  // Our production entrypoints, built exactly as they ship: the issuer image's bundle
  // (container/Dockerfile) and the Lambda's (lib/constructs/challenge-responder.ts bundling).
  if (oursRef !== '') {
    rmSync(oursRoot, { recursive: true, force: true });
    mkdirSync(oursRoot, { recursive: true });
    // Resolved once, so the recorded version is the one measured even if HEAD moves meanwhile.
    const sha = execFileSync('git', ['rev-parse', '--short', oursRef], { cwd: repoRoot, encoding: 'utf8' }).trim();
    execFileSync('bash', ['-c', `git archive "$0" container lambdas lib tsconfig.json package.json | tar -x -C "$1"`, sha, oursRoot], { cwd: repoRoot, stdio: 'inherit' });
    process.env.BENCH_OURS_REF = sha;
    log(`measuring our code at ${oursRef} (${sha}) from ${oursRoot}`);
  }
  buildImageBundle(cliBundle, oursRoot); // container/Dockerfile's own esbuild command
  // As the image's runtime stage does: one `--help` fills Node 22's compile cache for the bundle.
  rmSync(imageCompileCache, { recursive: true, force: true });
  mkdirSync(imageCompileCache, { recursive: true });
  execFileSync(imageNode, [cliBundle, '--help'], { env: { ...process.env, NODE_COMPILE_CACHE: imageCompileCache }, stdio: 'ignore' });
  bundle(join(oursRoot, 'lambdas/challenge/handler.ts'), join(benchDir, 'dist', 'handler.mjs'), ['--minify', '--main-fields=module,main']);

  log('starting the bench stack (pebble + challtestsrv + moto + ALB adapter, and a second pebble for the peers)');
  const stack = await startBenchStack();
  const results: Record<string, unknown> = {};
  try {
    await run(process.execPath, [cliBundle, 'register', '--json'], { cwd: repoRoot, env: stack.env, timeoutMs: 60_000 });
    if (want('issuance')) results.issuance = await runIssuance(stack, log);
    if (want('responder')) results.responder = await runResponder(stack, log);
    if (want('sweep')) results.sweep = await runSweep(stack, log);
    if (want('protocol')) results.protocol = await runProtocol(stack, log);
    if (want('declarations')) results.declarations = await runDeclarations(stack, log);
  } finally {
    if (process.env.BENCH_KEEP_STACK !== 'true') await stack.stop();
  }

  // BENCH_CASES ran some issuance cases only: the others come from the previous latest.json, marked.
  const latestFile = join(repoRoot, 'bench', 'results', 'latest.json');
  if (process.env.BENCH_CASES && results.issuance && existsSync(latestFile)) {
    const previous = JSON.parse(readFileSync(latestFile, 'utf8')) as { startedAt: string; issuance?: { cases: { id: string }[] } };
    const current = results.issuance as { cases: { id: string }[] };
    const carried = (previous.issuance?.cases ?? []).filter((c) => !current.cases.some((x) => x.id === c.id)).map((c) => ({ ...c, carriedOverFrom: previous.startedAt }));
    const order = ['one-name', 'fifty-names', 'twenty-certs'];
    current.cases = [...current.cases, ...carried].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  }
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineAtStart,
    versions: toolVersions,
    settings: {
      pebble: 'PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT=0 (both pebbles)',
      ACME_POLL_MIN_MS: stack.env.ACME_POLL_MIN_MS,
      ACM_IMPORT: stack.env.ACM_IMPORT,
      keyType: 'EC P-256 for every tool',
      parts: parts.length === 0 ? ['issuance', 'responder', 'sweep', 'protocol', 'declarations'] : parts,
    },
    ...results,
  };
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // A run of some parts keeps the other parts of the previous latest.json, marked as carried over.
  if (parts.length > 0 && existsSync(join(dir, 'latest.json'))) {
    const previous = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Record<string, unknown>;
    for (const part of ['issuance', 'responder', 'sweep', 'protocol', 'declarations']) {
      if (!(part in results) && previous[part] !== undefined) {
        // A part already carried over keeps the date of the run that measured it.
        const earlier = previous[part] as { carriedOverFrom?: string };
        (document as Record<string, unknown>)[part] = { ...earlier, carriedOverFrom: earlier.carriedOverFrom ?? previous.startedAt };
      }
    }
  }
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  writeFileSync(file, text);
  // A run of only some tools looks into them; it is kept beside the others but is not the result.
  const complete = (process.env.BENCH_TOOLS ?? '') === '';
  if (complete) writeFileSync(join(dir, 'latest.json'), text);
  else log('BENCH_TOOLS is set: latest.json, chart.svg and docs/performance.md are left as they were');
  log(`results: ${file}`);
  process.stdout.write(render(document, { updateChart: complete, updateDocs: complete && process.env.BENCH_UPDATE_DOCS !== 'false' }));
}

await main();
