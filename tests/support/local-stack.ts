// A private local stack per test file: the same scripts as `just up` (pebble, challtestsrv, moto,
// the responder under the Lambda runtime emulator, the ALB adapter in front of it), on free ports
// and in a state folder of its own, so files run in parallel and a fault made in one (moto
// stopped, pebble restarted) touches no other. extraEnv RESPONDER_RUNTIME=inprocess puts the
// handler into the adapter instead.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(import.meta.dirname, '../..');

export interface LocalStack {
  /** Every variable the CLI, handler and scripts need to talk to this stack. */
  readonly env: Record<string, string>;
  readonly stateDir: string;
  readonly httpPort: number;
  readonly pebbleManagementPort: number;
  readonly challtestsrvManagementPort: number;
  /** The responder's Lambda Invoke API (RESPONDER_RUNTIME=lambda). */
  readonly responderInvokePort: number;
  readonly responderRuntime: 'lambda' | 'inprocess';
  /** What the responder has written so far: its log file (responder.log under the emulator, the adapter's in process). */
  responderLog(): string;
  stop(): Promise<void>;
  /** Stops or starts one service with the scripts' own functions (fault tests). */
  service(action: 'stop' | 'start', name: 'moto' | 'pebble' | 'adapter' | 'responder' | 'challtestsrv'): Promise<void>;
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

export async function startLocalStack(options: { name: string; pebbleEnv?: Record<string, string>; extraEnv?: Record<string, string> }): Promise<LocalStack> {
  mkdirSync(join(repoRoot, '.local'), { recursive: true });
  const stateDir = mkdtempSync(join(repoRoot, '.local', `test-${options.name}-`));
  const [pebble, pebbleManagement, http, dns, challManagement, moto, responderInvoke] = (await Promise.all(Array.from({ length: 7 }, freePort))) as [
    number, number, number, number, number, number, number,
  ];
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
    RESPONDER_RUNTIME: 'lambda',
    RESPONDER_INVOKE_PORT: String(responderInvoke),
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
  return {
    env,
    stateDir,
    httpPort: http,
    pebbleManagementPort: pebbleManagement,
    challtestsrvManagementPort: challManagement,
    responderInvokePort: responderInvoke,
    responderRuntime: env.RESPONDER_RUNTIME === 'inprocess' ? 'inprocess' : 'lambda',
    responderLog: () => {
      try {
        return readFileSync(join(stateDir, 'logs', env.RESPONDER_RUNTIME === 'inprocess' ? 'adapter.log' : 'responder.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop: async () => {
      await script('down.sh');
      rmSync(stateDir, { recursive: true, force: true });
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

/** The CLI from source, as `just issuer` runs it; tests of the image pass the bundle's path instead. */
const TSX_ENTRYPOINT = ['--import', 'tsx', join(repoRoot, 'container/cli.ts')];

/**
 * Starts the real issuer CLI as a process against a stack. `onEvent` sees each JSON line as it
 * arrives, so a test can act at a given step (kill the process, stop a service).
 */
export function startCli(
  stack: Pick<LocalStack, 'env'>,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
  onEvent?: (event: Record<string, unknown>, child: ChildProcess) => void,
  entrypoint: readonly string[] = TSX_ENTRYPOINT,
): RunningCli {
  const child = spawn(process.execPath, [...entrypoint, ...args], {
    cwd: repoRoot,
    env: { ...stack.env, ...extraEnv },
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
export async function runCli(stack: Pick<LocalStack, 'env'>, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
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
