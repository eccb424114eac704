// A private local stack per test file: the same scripts as `just up` (pebble, challtestsrv, moto,
// the responder under the Lambda runtime emulator, the ALB adapter in front of it), on free ports
// and in a state folder of its own, so files run in parallel and a fault made in one (moto
// stopped, pebble restarted) touches no other. extraEnv RESPONDER_RUNTIME=inprocess puts the
// handler into the adapter instead.
//
// moto enforces IAM in these stacks (LOCAL_IAM_ENFORCE, scripts/local/up.sh): `env` carries the
// admin's keys (the scripts and each test's setup), the issuer CLI runs with the task role's
// session (`iam.issuerEnv`, merged by startCli/runCli) and the responder with the responder
// role's; both roles hold the policies of the template synthesized for `deploy`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Env } from '../../lib/core/config.js';
import { deployedTaskFor, egressViolations, type RecordedRun } from './network-record.js';
import { CLI_BUNDLE, IMAGE_NODE } from './runtimes.js';
import { freePort } from '../../scripts/local/free-port.js';

export { freePort };
import { putRolePolicies, type IamState, type RoleKind } from '../../scripts/local/bootstrap-iam.js';
import type { LocalResources } from '../../scripts/local/iam-policy.js';
import { templatePolicies, type PolicyStatement, type TemplatePolicies } from '../../scripts/local/iam-template.js';

const run = promisify(execFile);
export const repoRoot = resolve(import.meta.dirname, '../..');

/** A role's session as the SDK reads it from the environment. */
export interface SessionEnv {
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_SESSION_TOKEN: string;
}

/** Changes a role's template statements before they are put (a test removing one). */
export type StatementEdit = (statements: readonly PolicyStatement[]) => readonly PolicyStatement[];

export interface LocalIam {
  /** The synthesized template's policies the roles hold (unresolved, as in the template). */
  readonly policies: TemplatePolicies;
  /** What scripts/local/bootstrap-iam.ts made: the roles, their sessions, the local resources. */
  readonly state: IamState;
  /** The issuer task role's session as AWS_* (what the CLI process gets). */
  readonly issuerEnv: SessionEnv;
  /** The responder role's session as AWS_* (for the handler run in a test's own process). */
  readonly responderEnv: SessionEnv;
  /** The certificate API function's role's session as AWS_* (what the local API endpoint's handler runs with); undefined: the template has no API. */
  readonly apiEnv: SessionEnv | undefined;
  /**
   * Puts every role's template policy again: with resources made since (the HTTPS listener and
   * the export key a test creates) resolved, and with `edit` applied to a role's statements.
   * Without an edit a role gets its template policy back.
   */
  apply(options?: { edit?: Partial<Record<RoleKind, StatementEdit>>; resources?: Pick<LocalResources, 'exportKeyArn' | 'httpsListenerArn'> }): Promise<void>;
}

export interface LocalStack {
  /** Every variable the handler and scripts need to talk to this stack; with IAM on, the admin's keys. */
  readonly env: Record<string, string>;
  /** The roles when moto enforces IAM (the default); undefined with `iam: false`. */
  readonly iam: LocalIam | undefined;
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
  /** Every CLI process run against this stack, with where its connections were recorded. */
  readonly cliRuns: RecordedRun[];
  /** The DEPLOY_* configuration of the stack this one stands in for (its security group, its roles). */
  readonly deployEnv: Env;
}

export interface LocalStackOptions {
  readonly name: string;
  readonly pebbleEnv?: Record<string, string>;
  readonly extraEnv?: Record<string, string>;
  /**
   * The deploy configuration (DEPLOY_* variables) whose synthesized template gives the roles
   * their policies: the one a deployment running this test's CLI configuration would have.
   * @default {} (the default stack)
   */
  readonly deploy?: Record<string, string>;
  /**
   * moto checks every request against IAM, and the issuer and responder run as the template's roles.
   * @default true
   */
  readonly iam?: boolean;
}

/** KEY='value' lines, as scripts/local/bootstrap-*.ts write them. */
function readEnvFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)='([^']*)'$/.exec(line);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  mkdirSync(join(repoRoot, '.local'), { recursive: true });
  const stateDir = mkdtempSync(join(repoRoot, '.local', `test-${options.name}-`));
  const [pebble, pebbleManagement, http, dns, challManagement, moto, responderInvoke, api] = (await Promise.all(Array.from({ length: 8 }, freePort))) as [number, number, number, number, number, number, number, number];
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
    API_PORT: String(api),
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
    PREFLIGHT_HTTP_PORT: String(http),
    PREFLIGHT_DNS_SERVER: `127.0.0.1:${dns}`,
    ...options.pebbleEnv,
    ...options.extraEnv,
  };
  const enforce = options.iam ?? true;
  let policies: TemplatePolicies | undefined;
  if (enforce) {
    policies = await templatePolicies(options.deploy ?? {});
    const file = join(stateDir, 'template-policies.json');
    writeFileSync(file, JSON.stringify(policies, null, 1));
    Object.assign(env, { LOCAL_IAM_ENFORCE: 'true', LOCAL_IAM_POLICIES: file });
  }
  // up.sh gets the keys it started with every time (it reads the admin's from its state folder)
  const startEnv = { ...env };
  const script = (file: string) => run('bash', [join(repoRoot, 'scripts/local', file)], { cwd: repoRoot, env: startEnv, timeout: 120_000 });
  const runDir = join(stateDir, 'run');
  const iam = enforce ? ({} as { state: IamState; resources: Pick<LocalResources, 'exportKeyArn' | 'httpsListenerArn'> }) : undefined;
  /** After up.sh: the admin's keys, the store key and the roles of this moto (a restarted moto has new ones). */
  const load = () => {
    Object.assign(env, readEnvFile(join(runDir, 'aws.env')));
    if (iam === undefined) return;
    Object.assign(env, readEnvFile(join(runDir, 'admin.env')));
    iam.state = JSON.parse(readFileSync(join(runDir, 'iam.json'), 'utf8')) as IamState;
    iam.resources = {};
  };
  try {
    await script('up.sh');
    load();
  } catch (error) {
    await script('down.sh').catch(() => undefined);
    throw error;
  }
  const cliRuns: RecordedRun[] = [];
  const deployEnv: Env = options.deploy ?? {};
  const session = (kind: RoleKind): SessionEnv => {
    const role = iam!.state.roles[kind];
    if (role === undefined) throw new Error(`the template has no ${kind} role`);
    const credentials = role.credentials;
    return { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken ?? '' };
  };
  const localIam: LocalIam | undefined =
    iam === undefined
      ? undefined
      : {
          policies: policies!,
          get state() {
            return iam.state;
          },
          get issuerEnv() {
            return session('issuer');
          },
          get responderEnv() {
            return session('responder');
          },
          get apiEnv() {
            return iam.state.roles.api === undefined ? undefined : session('api');
          },
          apply: async ({ edit = {}, resources = {} } = {}) => {
            iam.resources = { ...iam.resources, ...resources };
            await putRolePolicies(env, policies!, { ...iam.state.local, ...iam.resources }, edit);
          },
        };
  return {
    env,
    iam: localIam,
    stateDir,
    httpPort: http,
    pebbleManagementPort: pebbleManagement,
    challtestsrvManagementPort: challManagement,
    cliRuns,
    deployEnv,
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
      // Every connection the issuer made must be one the deployed task's security group allows.
      const violations = cliRuns.length === 0 ? [] : egressViolations(cliRuns, await deployedTaskFor(deployEnv));
      rmSync(stateDir, { recursive: true, force: true });
      if (violations.length > 0) throw new Error(`the issuer made connections its security group on AWS would drop:\n  - ${violations.join('\n  - ')}`);
    },
    service: async (action, name) => {
      if (action === 'stop') {
        await run('bash', ['-c', `source scripts/local/lib.sh && stop_service ${name}`], { cwd: repoRoot, env });
      } else {
        await script('up.sh');
        if (existsSync(join(runDir, 'aws.env'))) load();
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
 * Extra env that runs the CLI with the admin's keys instead of the task role's: only for a run
 * that is not about the stack's permissions (a bucket or endpoint outside the stack).
 */
export function asAdmin(stack: Pick<LocalStack, 'env'>): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: stack.env.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: stack.env.AWS_SECRET_ACCESS_KEY!, AWS_SESSION_TOKEN: '' };
}

/**
 * Starts the real issuer CLI as a process against a stack, as the image runs it: the image's
 * bundle (built by tests/global-setup.ts with container/Dockerfile's own command) on the image's
 * Node, with every outbound connection recorded for the stack's egress check. `onEvent` sees each
 * JSON line as it arrives, so a test can act at a given step (kill the process, stop a service).
 */
export function startCli(
  stack: Pick<LocalStack, 'env' | 'cliRuns' | 'stateDir'> & Partial<Pick<LocalStack, 'iam'>>,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
  onEvent?: (event: Record<string, unknown>, child: ChildProcess) => void,
): RunningCli {
  // The issuer runs as the task role, as on Fargate (extraEnv may still override it).
  const processEnv = { ...stack.env, ...stack.iam?.issuerEnv, ...extraEnv };
  mkdirSync(join(stack.stateDir, 'connections'), { recursive: true });
  const file = join(stack.stateDir, 'connections', `${stack.cliRuns.length}.jsonl`);
  stack.cliRuns.push({ file, env: processEnv, args });
  const child = spawn(IMAGE_NODE, ['--import', RECORDER, CLI_BUNDLE, ...args], {
    cwd: repoRoot,
    env: { ...processEnv, CONNECTION_RECORD_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) onEvent?.(JSON.parse(line) as Record<string, unknown>, child);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
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
export async function runCli(stack: Pick<LocalStack, 'env' | 'cliRuns' | 'stateDir'> & Partial<Pick<LocalStack, 'iam'>>, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
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
