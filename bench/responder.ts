// Part 2: the responder. In-process cost with a warm cache, cold initialisation of the bundle,
// its size, and requests per second through the local ALB adapter beside nginx serving the same
// key authorization as a static file (wrk on loopback, one connection set, interleaved rounds).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { measure, run } from './lib/proc.js';
import type { BenchStack } from './lib/stack.js';
import { repoRoot, waitFor } from './lib/stack.js';
import { roundOrder } from './lib/order.js';
import { summarize } from './lib/stats.js';
import { benchDir } from './lib/tools.js';

const handlerBundle = () => join(benchDir, 'dist', 'handler.mjs');

function parseWrk(text: string) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(text);
  const p99Ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : Number.NaN;
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+)/.exec(text)?.[1] ?? 0);
  return { rps, p99Ms, errors };
}

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

  // nginx serving the same bytes as a static file, one worker (the adapter is one node process).
  const adapterUrl = `http://127.0.0.1:${stack.adapterPort}/.well-known/acme-challenge/${token}`;
  const answer = await fetch(adapterUrl);
  const body = await answer.text();
  if (answer.status !== 200) throw new Error(`adapter answered ${answer.status}`);
  const nginxPort = Number(process.env.BENCH_NGINX_PORT ?? 5104);
  const nginxDir = join(benchDir, 'nginx');
  mkdirSync(join(nginxDir, 'www', '.well-known', 'acme-challenge'), { recursive: true });
  mkdirSync(join(nginxDir, 'logs'), { recursive: true });
  writeFileSync(join(nginxDir, 'www', '.well-known', 'acme-challenge', token), body);
  // The target's nginx: one worker, no access log. A second nginx, the same but logging every
  // request to a file with its default access log (one write(2) per request), is a reference only:
  // the adapter logs every request too.
  const nginxLogPort = Number(process.env.BENCH_NGINX_LOG_PORT ?? 5107);
  const nginxConf = (name: string, listen: number, accessLog: string) => `worker_processes 1;
daemon off;
pid ${nginxDir}/${name}.pid;
error_log ${nginxDir}/logs/${name}-error.log warn;
events { worker_connections 1024; }
http {
  access_log ${accessLog};
  client_body_temp_path ${nginxDir}/tmp-body; proxy_temp_path ${nginxDir}/tmp-proxy; fastcgi_temp_path ${nginxDir}/tmp-fastcgi;
  uwsgi_temp_path ${nginxDir}/tmp-uwsgi; scgi_temp_path ${nginxDir}/tmp-scgi;
  server {
    listen 127.0.0.1:${listen};
    root ${nginxDir}/www;
    location /.well-known/acme-challenge/ { default_type text/plain; }
  }
}
`;
  writeFileSync(join(nginxDir, 'nginx.conf'), nginxConf('nginx', nginxPort, 'off'));
  writeFileSync(join(nginxDir, 'nginx-log.conf'), nginxConf('nginx-log', nginxLogPort, `${nginxDir}/logs/access.log`));
  // References beside nginx: the same adapter script with its output going to /dev/null instead of
  // a file (the adapter batches the handler's log lines, so this should now match the adapter's
  // row; a gap would mean the log costs again), and the plainest node HTTP server (the floor of
  // any node responder here).
  const quietPort = Number(process.env.BENCH_QUIET_ADAPTER_PORT ?? 5105);
  const floorPort = Number(process.env.BENCH_NODE_FLOOR_PORT ?? 5106);
  const bodyFile = join(nginxDir, 'www', '.well-known', 'acme-challenge', token);
  const services = ['bench-nginx', 'bench-nginx-log', 'bench-adapter-quiet', 'bench-node-floor'];
  await run(
    'bash',
    [
      '-c',
      `source scripts/local/lib.sh && for s in ${services.join(' ')}; do stop_service $s; done
       start_service bench-nginx nginx -p "$0" -c "$0/nginx.conf"
       rm -f "$0/logs/access.log"; start_service bench-nginx-log nginx -p "$0" -c "$0/nginx-log.conf"
       setsid nohup env PEBBLE_HTTP_PORT="$1" node --import tsx scripts/local/alb-adapter.ts >/dev/null 2>&1 </dev/null & echo $! > "$RUN_DIR/bench-adapter-quiet.pid"
       setsid nohup node bench/node-floor.mjs "$2" "$3" >/dev/null 2>&1 </dev/null & echo $! > "$RUN_DIR/bench-node-floor.pid"`,
      nginxDir,
      String(quietPort),
      String(floorPort),
      bodyFile,
    ],
    options,
  );
  const nginxUrl = `http://127.0.0.1:${nginxPort}/.well-known/acme-challenge/${token}`;
  const nginxLogUrl = `http://127.0.0.1:${nginxLogPort}/.well-known/acme-challenge/${token}`;
  const quietUrl = `http://127.0.0.1:${quietPort}/.well-known/acme-challenge/${token}`;
  const floorUrl = `http://127.0.0.1:${floorPort}/.well-known/acme-challenge/${token}`;
  try {
    for (const [name, url] of [['nginx', nginxUrl], ['nginx with access log', nginxLogUrl], ['quiet adapter', quietUrl], ['node floor', floorUrl]] as const) {
      await waitFor(name, async () => {
        const r = await fetch(url);
        if ((await r.text()) !== body) throw new Error(`${name} answered ${r.status} with other bytes`);
      }, 20_000);
    }

    // Five rounds: with three, one round disturbed by another tenant of the machine moved the median by 10%.
    const rounds = Number(process.env.BENCH_LOAD_ROUNDS ?? 5);
    const duration = process.env.BENCH_LOAD_DURATION ?? '8s';
    const connections = process.env.BENCH_LOAD_CONNECTIONS ?? '32';
    const servers = [
      { id: 'adapter', label: 'local ALB adapter -> real handler (node, one process)', url: adapterUrl, samples: [] as ReturnType<typeof parseWrk>[] },
      { id: 'nginx', label: `nginx static file (one worker)`, url: nginxUrl, samples: [] as ReturnType<typeof parseWrk>[] },
      { id: 'nginx-access-log', label: 'reference: nginx static file (one worker), access log on (a write per request)', url: nginxLogUrl, samples: [] as ReturnType<typeof parseWrk>[] },
      { id: 'adapter-quiet', label: 'reference: the same adapter, its (batched) log to /dev/null', url: quietUrl, samples: [] as ReturnType<typeof parseWrk>[] },
      { id: 'node-floor', label: 'reference: plainest node http server, fixed body', url: floorUrl, samples: [] as ReturnType<typeof parseWrk>[] },
    ];
    for (let round = 1; round <= rounds; round++) {
      for (const server of roundOrder(servers, token, round)) {
        const out = await run('wrk', ['-t1', `-c${connections}`, `-d${duration}`, '--latency', server.url], { ...options, timeoutMs: 120_000 });
        const parsed = parseWrk(out);
        server.samples.push(parsed);
        log(`  load r${round} ${server.id}: ${parsed.rps.toFixed(0)} req/s, p99 ${parsed.p99Ms.toFixed(2)} ms, errors ${parsed.errors}`);
      }
    }
    return {
      token,
      bundle: { file: '.local/bench/dist/handler.mjs', bytes, gzipBytes },
      inProcess,
      coldInit,
      load: {
        tool: 'wrk',
        settings: `-t1 -c${connections} -d${duration} on 127.0.0.1 (wrk and the server share the machine's ${os.cpus().length} cores)`,
        rounds,
        servers: servers.map((s) => ({
          id: s.id,
          label: s.label,
          rps: summarize(s.samples.map((x) => x.rps)),
          p99Ms: summarize(s.samples.map((x) => x.p99Ms)),
          errors: s.samples.reduce((a, x) => a + x.errors, 0),
        })),
      },
    };
  } finally {
    // nginx's access log holds a line per request measured (hundreds of MB): not kept.
    await run('bash', ['-c', `source scripts/local/lib.sh && for s in ${services.join(' ')}; do stop_service $s; done; rm -f "$0/logs/access.log"`, nginxDir], options).catch(() => undefined);
  }
}
