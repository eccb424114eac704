// Part `protocol`: what the ACME conversation costs each tool, counted by a proxy in front of
// pebble (bench/lib/counting-proxy.ts): CA requests, requests by kind and sequential round trips,
// for 1 name and 50 names, on loopback and with a realistic latency (a delay each way on every
// request and pebble's VA sleeping before it validates, for every tool alike).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYED_POLL_MIN_MS } from '../lib/core/issuer-environment.js';
import { freePort } from '../scripts/local/free-port.js';
import { CountingProxy } from './lib/counting-proxy.js';
import { measure, run, tail } from './lib/proc.js';
import { protocolCost, RFC_FLOOR_ONE_NAME, type ProtocolCost } from './lib/round-trips.js';
import { selected } from './lib/selection.js';
import { repoRoot, waitFor, type BenchStack } from './lib/stack.js';
import { benchDir, cliBundle, ourTools, peerTools, type Cert, type Tool } from './lib/tools.js';

export interface ProtocolRun {
  readonly tool: string;
  readonly label: string;
  readonly ours: boolean;
  readonly names: number;
  readonly ok: boolean;
  readonly wallMs: number;
  readonly cost: ProtocolCost;
  readonly error?: string;
}

export interface ProtocolCase {
  readonly id: 'loopback' | 'latency';
  readonly title: string;
  readonly delayMsEachWay: number;
  readonly vaSleep: string;
  readonly runs: ProtocolRun[];
}

const PROCESS_TIMEOUT_MS = Number(process.env.BENCH_PROCESS_TIMEOUT_MS ?? 600_000);
const NAME_COUNTS = [1, Number(process.env.BENCH_PROTOCOL_NAMES ?? 50)];

/** The two pebbles a case's tools talk to: ours validates on the ALB adapter's port, the peers' on their standalone port. */
interface CaPair {
  readonly ours: CountingProxy;
  readonly peers: CountingProxy;
  stop(): Promise<void>;
}

const tlsKey = (stack: BenchStack) => join(stack.stateDir, 'pebble', 'tls-key.pem');

async function proxies(stack: BenchStack, ourPort: number, peerPort: number, delayMs: number): Promise<CaPair> {
  const make = (targetPort: number) => new CountingProxy({ targetPort, certFile: stack.tlsCert, keyFile: tlsKey(stack), delayMs });
  const pair = { ours: make(ourPort), peers: make(peerPort) };
  await pair.ours.start();
  await pair.peers.start();
  return { ...pair, stop: async () => void (await Promise.all([pair.ours.stop(), pair.peers.stop()])) };
}

/**
 * Two more pebbles (same binary, certificate and DNS as the stack's) with the VA's sleep on:
 * pebble sleeps a whole number of seconds below PEBBLE_VA_SLEEPTIME before each validation, three
 * validations at a time, so 3 bounds the 50-name case (about a second per name, a third of it
 * when a tool answers the challenges together) while still making validation take real time.
 */
async function sleepingPebbles(stack: BenchStack, sleepSeconds: number): Promise<{ ourPort: number; peerPort: number; stop(): Promise<void> }> {
  const options = { cwd: repoRoot, env: stack.env, timeoutMs: 60_000 };
  const dir = join(stack.stateDir, 'latency-pebble');
  mkdirSync(dir, { recursive: true });
  const started: string[] = [];
  const stop = async () => {
    for (const name of started) await run('bash', ['-c', 'source scripts/local/lib.sh && stop_service "$0"', name], options).catch((e) => console.error(String(e)));
  };
  const start = async (name: string, httpPort: number): Promise<number> => {
    const [listen, management] = [await freePort(), await freePort()];
    const config = join(dir, `${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${listen}`,
          managementListenAddress: `127.0.0.1:${management}`,
          certificate: stack.tlsCert,
          privateKey: tlsKey(stack),
          httpPort,
          tlsPort: 0,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    await run(
      'bash',
      [
        '-c',
        'source scripts/local/lib.sh && start_service "$0" env PEBBLE_VA_SLEEPTIME="$1" PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 pebble -config "$2" -dnsserver "$3"',
        name,
        String(sleepSeconds),
        config,
        stack.env.PREFLIGHT_DNS_SERVER!,
      ],
      options,
    );
    started.push(name);
    await waitFor(name, () => run('curl', ['-fsS', '--cacert', stack.tlsCert, `https://localhost:${listen}/dir`], options), 30_000);
    return listen;
  };
  try {
    return { ourPort: await start('latency-pebble', stack.adapterPort), peerPort: await start('latency-peer-pebble', stack.peerHttpPort), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The tools pointed at the proxies: ours through ACME_DIRECTORY, the peers through --server. */
function toolsThrough(stack: BenchStack, pair: CaPair): { tool: Tool; proxy: CountingProxy; register?: () => Promise<unknown> }[] {
  // Ours polls at its deployed pace, not the bench stack's 25 ms: the peers poll at their defaults,
  // and a poll every 25 ms would count requests no deployment makes.
  const oursStack: BenchStack = { ...stack, env: { ...stack.env, ACME_DIRECTORY: pair.ours.directoryUrl, ACME_POLL_MIN_MS: DEPLOYED_POLL_MIN_MS } };
  const peersStack: BenchStack = { ...stack, peerDirectory: pair.peers.directoryUrl };
  const ours = ourTools(oursStack).bundle;
  const register = () => run(process.execPath, [cliBundle, 'register', '--json'], { cwd: repoRoot, env: oursStack.env, timeoutMs: 120_000 });
  // Debian's certbot speaks the same protocol as PyPI's; one certbot keeps the run bounded.
  const peers = peerTools(peersStack).filter((t) => t.id !== 'certbot-debian');
  const all = [{ tool: ours, proxy: pair.ours, register }, ...peers.map((tool) => ({ tool, proxy: pair.peers }))];
  const chosen = new Set(
    selected(
      all.map((t) => t.tool),
      process.env.BENCH_TOOLS,
    ).map((t) => t.id),
  );
  return all.filter((t) => chosen.has(t.tool.id));
}

/** Every run's requests, one file per tool, case and name count, to look into a count (not committed). */
const timelineDir = join(benchDir, 'protocol-timelines');

async function issueCounted(tool: Tool, proxy: CountingProxy, cert: Cert, timeline?: string): Promise<Omit<ProtocolRun, 'tool' | 'label' | 'ours' | 'names'>> {
  proxy.take();
  const invocation = tool.issue(cert);
  const result = await measure(invocation.command, invocation.args, { cwd: repoRoot, env: invocation.env, timeoutMs: PROCESS_TIMEOUT_MS });
  const requests = proxy.take();
  if (timeline !== undefined) {
    mkdirSync(timelineDir, { recursive: true });
    writeFileSync(join(timelineDir, `${timeline}.json`), `${JSON.stringify(requests, null, 1)}\n`);
  }
  const cost = protocolCost(requests);
  const ok = result.code === 0 && tool.landed(cert, result.stdout);
  return { ok, wallMs: result.wallMs, cost, ...(ok ? {} : { error: `exit ${result.code}\n${tail(result.stdout, 8)}\n${tail(result.stderr, 8)}` }) };
}

async function runCase(stack: BenchStack, spec: Omit<ProtocolCase, 'runs'>, pair: CaPair, runId: string, log: (line: string) => void): Promise<ProtocolCase> {
  const runs: ProtocolRun[] = [];
  for (const { tool, proxy, register } of toolsThrough(stack, pair)) {
    await register?.();
    const cert = (tag: string, names: number): Cert => ({
      name: `p-${runId}-${spec.id.slice(0, 3)}-${tool.id.replace(/[^a-z]/g, '')}-${tag}`,
      domains: Array.from({ length: names }, (_, n) => `n${n}.${tag}.${tool.id.replace(/[^a-z]/g, '')}.${spec.id.slice(0, 3)}.${runId}.example.com`),
    });
    // Not counted: registers the peers' accounts and fills caches, so the counted runs are steady-state renewals of a known account.
    const warm = await issueCounted(tool, proxy, cert('warm', 1));
    if (!warm.ok) throw new Error(`protocol ${spec.id}: warm-up failed for ${tool.id}\n${warm.error}`);
    for (const names of NAME_COUNTS) {
      const counted = await issueCounted(tool, proxy, cert(`n${names}`, names), `${spec.id}-${tool.id}-${names}`);
      runs.push({ tool: tool.id, label: tool.label, ours: tool.ours, names, ...counted });
      log(
        `  protocol ${spec.id} ${tool.id} ${names} name(s): ${counted.cost.requests} requests, ${counted.cost.sequentialRoundTrips} sequential round trips, ${(counted.wallMs / 1000).toFixed(2)} s${counted.ok ? '' : ` FAILED\n${counted.error}`}`,
      );
    }
  }
  return { ...spec, runs };
}

export async function runProtocol(stack: BenchStack, log: (line: string) => void): Promise<{ floorOneName: number; oursPollMinMs: number; cases: ProtocolCase[] }> {
  const runId = Math.random().toString(36).slice(2, 7);
  const delayMs = Number(process.env.BENCH_CA_DELAY_MS ?? 40);
  const sleepSeconds = Number(process.env.BENCH_CA_VA_SLEEP_S ?? 3);
  const cases: ProtocolCase[] = [];
  const ourPebblePort = Number(new URL(stack.ourDirectory).port);
  const peerPebblePort = Number(new URL(stack.peerDirectory).port);
  log(`protocol: loopback (no delay, PEBBLE_VA_NOSLEEP=1), then ${delayMs} ms each way with PEBBLE_VA_SLEEPTIME=${sleepSeconds}`);

  const loopback = await proxies(stack, ourPebblePort, peerPebblePort, 0);
  try {
    cases.push(await runCase(stack, { id: 'loopback', title: 'loopback', delayMsEachWay: 0, vaSleep: 'PEBBLE_VA_NOSLEEP=1' }, loopback, runId, log));
  } finally {
    await loopback.stop();
  }

  const pebbles = await sleepingPebbles(stack, sleepSeconds);
  try {
    const latency = await proxies(stack, pebbles.ourPort, pebbles.peerPort, delayMs);
    try {
      const title = `${delayMs} ms each way, VA sleep`;
      cases.push(await runCase(stack, { id: 'latency', title, delayMsEachWay: delayMs, vaSleep: `PEBBLE_VA_SLEEPTIME=${sleepSeconds}` }, latency, runId, log));
    } finally {
      await latency.stop();
    }
  } finally {
    await pebbles.stop();
  }
  return { floorOneName: RFC_FLOOR_ONE_NAME, oursPollMinMs: Number(DEPLOYED_POLL_MIN_MS), cases };
}
