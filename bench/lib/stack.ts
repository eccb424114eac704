// The bench's own local stack: the same scripts as `just up` (pebble, challtestsrv, moto, the ALB
// adapter over the real handler) on ports of its own (BENCH_* variables), so a benchmark neither
// disturbs nor is disturbed by a developer's `just up` stack, plus a second pebble for the peers.
// The peers' standalone servers need an HTTP-01 port of their own: that pebble is the same binary
// with the same configuration and knobs and the same challtestsrv, differing only in ports.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from './proc.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface BenchStack {
  /** Environment for our CLI, the handler and the scripts. */
  readonly env: Record<string, string>;
  readonly stateDir: string;
  readonly tlsCert: string;
  /** Our pebble (its HTTP-01 port is the ALB adapter's). */
  readonly ourDirectory: string;
  readonly adapterPort: number;
  /** The peers' pebble and the HTTP-01 port their standalone servers bind. */
  readonly peerDirectory: string;
  readonly peerHttpPort: number;
  stop(): Promise<void>;
}

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export async function startBenchStack(): Promise<BenchStack> {
  const stateDir = resolve(repoRoot, process.env.BENCH_STATE_DIR ?? '.local/bench/stack');
  mkdirSync(stateDir, { recursive: true });
  const p = {
    pebble: port('BENCH_PEBBLE_PORT', 14100),
    pebbleManagement: port('BENCH_PEBBLE_MANAGEMENT_PORT', 15100),
    http: port('BENCH_PEBBLE_HTTP_PORT', 5102),
    peerPebble: port('BENCH_PEER_PEBBLE_PORT', 14101),
    peerPebbleManagement: port('BENCH_PEER_PEBBLE_MANAGEMENT_PORT', 15101),
    peerHttp: port('BENCH_PEER_HTTP_PORT', 5103),
    dns: port('BENCH_CHALLTESTSRV_DNS_PORT', 8153),
    challManagement: port('BENCH_CHALLTESTSRV_MANAGEMENT_PORT', 8155),
    moto: port('BENCH_MOTO_PORT', 5100),
  };
  const tlsCert = join(stateDir, 'pebble', 'tls-cert.pem');
  // Everything `just` loaded from .env (new settings come along), with this stack's own endpoints.
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('BENCH_')));
  const env: Record<string, string> = {
    ...inherited,
    CERTIFICATES: '',
    PREFLIGHT_HTTP_PORT: String(p.http),
    PREFLIGHT_DNS_SERVER: `127.0.0.1:${p.dns}`,
    LOCAL_STATE_DIR: stateDir,
    PEBBLE_PORT: String(p.pebble),
    PEBBLE_MANAGEMENT_PORT: String(p.pebbleManagement),
    PEBBLE_HTTP_PORT: String(p.http),
    CHALLTESTSRV_DNS_PORT: String(p.dns),
    CHALLTESTSRV_MANAGEMENT_PORT: String(p.challManagement),
    MOTO_PORT: String(p.moto),
    // the bench measures the adapter with the handler in it, as it always has: no runtime in between
    RESPONDER_RUNTIME: 'inprocess',
    PEBBLE_WFE_NONCEREJECT: '0',
    PEBBLE_AUTHZREUSE: '0',
    ACME_DIRECTORY: `https://localhost:${p.pebble}/dir`,
    ACME_TLS_CA_FILE: tlsCert,
    ACME_POLL_MIN_MS: process.env.ACME_POLL_MIN_MS ?? '25',
    ACM_IMPORT: process.env.ACM_IMPORT ?? 'true',
    ACME_ACCOUNT_KEY_TYPE: 'ec-p256',
    CERT_KEY_TYPE: 'ec-p256',
    CERT_BUCKET: process.env.BENCH_BUCKET ?? 'acme-bench-certificates',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${p.moto}`,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    JWK_REFRESH_SECONDS: '300',
  };
  const options = { cwd: repoRoot, env, timeoutMs: 180_000 };
  // Fresh every run: moto keeps its objects in memory, so stopping it empties the bucket.
  await run('bash', ['-c', 'source scripts/local/lib.sh && stop_service peer-pebble && scripts/local/down.sh'], options);
  await run('bash', ['scripts/local/up.sh'], options);
  // The task runner polls moto's ECS: every poll would be counted in moto's request log, which the sweeps count.
  await run('bash', ['-c', 'source scripts/local/lib.sh && stop_service task-runner'], options);

  // The peers' pebble: same binary, knobs, TLS certificate and DNS; its own ports.
  const peerDir = join(stateDir, 'peer-pebble');
  mkdirSync(peerDir, { recursive: true });
  const config = join(peerDir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${p.peerPebble}`,
        managementListenAddress: `127.0.0.1:${p.peerPebbleManagement}`,
        certificate: tlsCert,
        privateKey: join(stateDir, 'pebble', 'tls-key.pem'),
        httpPort: p.peerHttp,
        tlsPort: 0,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  await run(
    'bash',
    ['-c', 'source scripts/local/lib.sh && start_service peer-pebble env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 pebble -config "$0" -dnsserver "$1"', config, `127.0.0.1:${p.dns}`],
    options,
  );
  const peerDirectory = `https://localhost:${p.peerPebble}/dir`;
  await waitFor('peer pebble', () => run('curl', ['-fsS', '--cacert', tlsCert, peerDirectory], options), 30_000);

  return {
    env,
    stateDir,
    tlsCert,
    ourDirectory: env.ACME_DIRECTORY!,
    adapterPort: p.http,
    peerDirectory,
    peerHttpPort: p.peerHttp,
    stop: async () => {
      await run('bash', ['-c', 'source scripts/local/lib.sh && stop_service peer-pebble && scripts/local/down.sh'], options).catch((error) => console.error(String(error)));
    },
  };
}

export async function waitFor(what: string, check: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not become ready in ${timeoutMs} ms: ${String(last)}`);
}
