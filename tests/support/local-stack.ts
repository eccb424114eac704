// A private local stack per test file: the same scripts as `just up` (pebble, challtestsrv, moto,
// the ALB adapter over the real handler), on free ports and in a state folder of its own, so
// files run in parallel and a fault made in one (moto stopped, pebble restarted) touches no other.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Env } from '../../lib/core/config.js';
import { deployedTaskFor, egressViolations, type RecordedRun } from './network-record.js';
import { CLI_BUNDLE, IMAGE_NODE } from './runtimes.js';

const run = promisify(execFile);
export const repoRoot = resolve(import.meta.dirname, '../..');

export interface LocalStack {
  /** Every variable the CLI, handler and scripts need to talk to this stack. */
  readonly env: Record<string, string>;
  readonly stateDir: string;
  readonly httpPort: number;
  readonly pebbleManagementPort: number;
  readonly challtestsrvManagementPort: number;
  stop(): Promise<void>;
  /** Stops or starts one service with the scripts' own functions (fault tests). */
  service(action: 'stop' | 'start', name: 'moto' | 'pebble' | 'adapter' | 'challtestsrv'): Promise<void>;
  /** Every CLI process run against this stack, with where its connections were recorded. */
  readonly cliRuns: RecordedRun[];
  /** The DEPLOY_* configuration of the stack this one stands in for (its security group, its roles). */
  readonly deployEnv: Env;
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startLocalStack(options: {
  name: string;
  pebbleEnv?: Record<string, string>;
  extraEnv?: Record<string, string>;
  /** DEPLOY_* variables of the deployed stack this stands in for. @default {} (the defaults) */
  deployEnv?: Env;
}): Promise<LocalStack> {
  mkdirSync(join(repoRoot, '.local'), { recursive: true });
  const stateDir = mkdtempSync(join(repoRoot, '.local', `test-${options.name}-`));
  const [pebble, pebbleManagement, http, dns, challManagement, moto] = (await Promise.all(Array.from({ length: 6 }, freePort))) as [number, number, number, number, number, number];
  const bucket = `test-${options.name}-${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOCAL_STATE_DIR: stateDir,
    PEBBLE_PORT: String(pebble),
    PEBBLE_MANAGEMENT_PORT: String(pebbleManagement),
    PEBBLE_HTTP_PORT: String(http),
    CHALLTESTSRV_DNS_PORT: String(dns),
    CHALLTESTSRV_MANAGEMENT_PORT: String(challManagement),
    MOTO_PORT: String(moto),
    PEBBLE_WFE_NONCEREJECT: '0',
    PEBBLE_AUTHZREUSE: '0',
    ACME_DIRECTORY: `https://localhost:${pebble}/dir`,
    ACME_TLS_CA_FILE: join(stateDir, 'pebble', 'tls-cert.pem'),
    ACME_POLL_MIN_MS: '50',
    CERT_BUCKET: bucket,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${moto}`,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    JWK_REFRESH_SECONDS: '300',
    PREFLIGHT_HTTP_PORT: String(http), PREFLIGHT_DNS_SERVER: `127.0.0.1:${dns}`,
    ...options.pebbleEnv,
    ...options.extraEnv,
  };
  const script = (file: string) => run('bash', [join(repoRoot, 'scripts/local', file)], { cwd: repoRoot, env, timeout: 120_000 });
  try {
    await script('up.sh');
  } catch (error) {
    await script('down.sh').catch(() => undefined);
    throw error;
  }
  const cliRuns: RecordedRun[] = [];
  const deployEnv = options.deployEnv ?? {};
  return {
    env,
    stateDir,
    httpPort: http,
    pebbleManagementPort: pebbleManagement,
    challtestsrvManagementPort: challManagement,
    cliRuns,
    deployEnv,
    stop: async () => {
      await script('down.sh');
      // Every connection the issuer made must be one the deployed task's security group allows.
      const violations = cliRuns.length === 0 ? [] : egressViolations(cliRuns, deployedTaskFor(deployEnv));
      rmSync(stateDir, { recursive: true, force: true });
      if (violations.length > 0) throw new Error(`the issuer made connections its security group on AWS would drop:\n  - ${violations.join('\n  - ')}`);
    },
    service: async (action, name) => {
      if (action === 'stop') {
        await run('bash', ['-c', `source scripts/local/lib.sh && stop_service ${name}`], { cwd: repoRoot, env });
      } else {
        await script('up.sh');
      }
    },
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines (the CLI's output when stdout is not a terminal). */
  readonly events: Record<string, unknown>[];
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
}

const RECORDER = join(repoRoot, 'tests/support/connection-recorder.mjs');

/**
 * Starts the real issuer CLI as a process against a stack, as the image runs it: the image's
 * bundle (built by tests/global-setup.ts with container/Dockerfile's own command) on the image's
 * Node, with every outbound connection recorded for the stack's egress check. `onEvent` sees each
 * JSON line as it arrives, so a test can act at a given step (kill the process, stop a service).
 */
export function startCli(
  stack: Pick<LocalStack, 'env' | 'cliRuns' | 'stateDir'>,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
  onEvent?: (event: Record<string, unknown>, child: ChildProcess) => void,
): RunningCli {
  const env = { ...stack.env, ...extraEnv };
  mkdirSync(join(stack.stateDir, 'connections'), { recursive: true });
  const file = join(stack.stateDir, 'connections', `${stack.cliRuns.length}.jsonl`);
  stack.cliRuns.push({ file, env, args });
  const child = spawn(IMAGE_NODE, ['--import', RECORDER, CLI_BUNDLE, ...args], {
    cwd: repoRoot,
    env: { ...env, CONNECTION_RECORD_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) onEvent?.(JSON.parse(line) as Record<string, unknown>, child);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolveResult, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const events = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolveResult({ code: code ?? (signal === null ? -1 : 128 + 9), stdout, stderr, events });
    });
  });
  return { child, done };
}

/** Runs the real issuer CLI as a process against a stack, to its end. */
export async function runCli(stack: Pick<LocalStack, 'env' | 'cliRuns' | 'stateDir'>, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return startCli(stack, args, extraEnv).done;
}

export function eventOf(result: CliResult, event: string): Record<string, unknown> {
  const found = result.events.find((e) => e.event === event);
  if (found === undefined) throw new Error(`no "${event}" event in CLI output:\n${result.stdout}\n${result.stderr}`);
  return found;
}

export function readStateFile(stack: LocalStack, relative: string): string {
  return readFileSync(join(stack.stateDir, relative), 'utf8');
}
