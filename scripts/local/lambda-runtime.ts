// Runs a function's code under the real Lambda runtime, locally: AWS's Runtime Interface Emulator
// (the Lambda service's side of the runtime API) starts aws-lambda-ric (the runtime client of
// Lambda's nodejs24.x) on Node 24, with the environment Lambda gives a function, and is invoked
// the way the Lambda service invokes an execution environment.
//
// One emulator serves one invocation at a time: a second one sent while the first runs makes it
// panic (nil pointer in rapidcore's Server.Invoke, after "ReserveFailed: AlreadyReserved") and
// takes the runtime down with it. That is Lambda's model too (an execution environment handles one
// request at a time; concurrent requests get more environments), so this keeps a pool of
// emulators, one per execution environment, started when a request finds none idle (a cold start,
// as on Lambda), at most `maxEnvironments`; past that, requests wait for the next free one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.js';
import { runtimePaths } from './runtimes.mjs';

export interface LambdaCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface LambdaFunctionOptions {
  /** The function's code, as Lambda unpacks it into LAMBDA_TASK_ROOT (/var/task). */
  readonly codeDir: string;
  /** The function's handler setting, `file.export` (e.g. `index.handler`). */
  readonly handler: string;
  /**
   * The function's own variables (its Environment.Variables), plus any local-only ones such as
   * AWS_ENDPOINT_URL. Names Lambda reserves are refused: they come from the options below.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 'nodejs24.x' (the only runtime installed by scripts/local/runtimes.mjs) */
  readonly runtime?: 'nodejs24.x';
  /** @default 'function' */
  readonly functionName?: string;
  /** @default 128 */
  readonly memorySizeMb?: number;
  /** The emulator ends an invocation after this long, as Lambda does. @default 3 */
  readonly timeoutSeconds?: number;
  /** LoggingConfig.LogFormat: with JSON the runtime client writes console output as JSON lines. @default 'Text' */
  readonly logFormat?: 'Text' | 'JSON';
  /** LoggingConfig.ApplicationLogLevel (JSON format only). @default - not set: the runtime client logs every level */
  readonly applicationLogLevel?: string;
  /** LoggingConfig.LogGroup. @default `/aws/lambda/${functionName}` */
  readonly logGroupName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The execution role's session, which Lambda hands the function as AWS_*. @default - none */
  readonly credentials?: LambdaCredentials;
  /** Execution environments at most; a request that finds all of them busy waits. @default 1 */
  readonly maxEnvironments?: number;
  /** Each line the emulator and the function write (the function's logs, the START/END/REPORT lines). @default - to this process's stdout and stderr */
  readonly output?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface InvokeOptions {
  /** The invocation's request id (context.awsRequestId). @default - a random UUID */
  readonly requestId?: string;
  /** X-Amzn-Trace-Id of the invocation (_X_AMZN_TRACE_ID in the function). @default - none */
  readonly traceId?: string;
}

/** An invocation as the Lambda Invoke API answers it. */
export interface InvokeOutput {
  readonly requestId: string;
  /** The function's result as JSON text, or the error document when it failed. */
  readonly payload: string;
  /** 'Unhandled' when the function failed: it threw, its runtime exited, or it timed out. */
  readonly functionError?: 'Unhandled';
}

export interface ExecutionEnvironment {
  readonly emulatorPid: number;
  /** The runtime API the function's runtime client talks to (AWS_LAMBDA_RUNTIME_API). */
  readonly runtimeApi: string;
  readonly invokeUrl: string;
  readonly busy: boolean;
}

export interface LambdaFunction {
  /** Invokes the function (RequestResponse) and resolves with its result; rejects with LambdaFunctionError when the function failed. */
  invoke(event: unknown, options?: InvokeOptions): Promise<unknown>;
  /** Invokes with a JSON payload as given and answers as the Invoke API does (a function error is an answer, not a rejection). */
  invokeRaw(payload: string, options?: InvokeOptions): Promise<InvokeOutput>;
  /** The execution environments running now. */
  environments(): ExecutionEnvironment[];
  /** Stops every environment (and its runtime); invocations still waiting are rejected. */
  stop(): Promise<void>;
}

/** The function failed (Lambda's X-Amz-Function-Error: Unhandled); `payload` is Lambda's error document. */
export class LambdaFunctionError extends Error {
  override readonly name = 'LambdaFunctionError';
  readonly errorType: string;
  constructor(
    readonly requestId: string,
    readonly payload: string,
  ) {
    const document = parseObject(payload);
    const errorType = typeof document?.errorType === 'string' ? document.errorType : 'Unhandled';
    const errorMessage = typeof document?.errorMessage === 'string' ? document.errorMessage : payload;
    super(`function failed (request ${requestId}): ${errorType}: ${errorMessage}`);
    this.errorType = errorType;
  }
}

/** Set by Lambda itself; a function's configuration cannot set them. */
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
]);
const INVOKE_PATH = '/2015-03-31/functions/function/invocations';
const START_TIMEOUT_MS = 15_000;

// eslint-disable-next-line @typescript-eslint/require-await -- async so that a bad option rejects the promise callers await (tests/scripts/lambda-runtime.test.ts), not throws before it exists
export async function startLambdaFunction(options: LambdaFunctionOptions): Promise<LambdaFunction> {
  const reserved = Object.keys(options.environment ?? {}).filter((name) => RESERVED.has(name));
  if (reserved.length > 0) throw new TypeError(`startLambdaFunction: environment sets ${reserved.join(', ')}, which Lambda reserves; use the options (region, credentials, functionName, ...)`);
  if ((options.runtime ?? 'nodejs24.x') !== 'nodejs24.x') throw new TypeError(`startLambdaFunction: runtime ${options.runtime} is not installed; only nodejs24.x`);
  const max = options.maxEnvironments ?? 1;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('startLambdaFunction: maxEnvironments must be a positive integer');
  const paths = runtimePaths();
  const environment = lambdaEnvironment(options, paths);
  const output = options.output ?? ((line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`));
  const timeoutMs = (options.timeoutSeconds ?? 3) * 1000;

  const all = new Set<Environment>();
  const idle: Environment[] = [];
  const waiting: { resolve: (env: Environment) => void; reject: (error: Error) => void }[] = [];
  let starting = 0;
  let stopped = false;

  const start = async (): Promise<Environment> => {
    starting++;
    try {
      const env = await startEnvironment(paths, environment(), options, output, (gone) => {
        // one that never started was never counted
        if (!all.delete(gone)) return;
        const at = idle.indexOf(gone);
        if (at !== -1) idle.splice(at, 1);
        // an emulator that died leaves room for a waiting request
        const next = stopped ? undefined : waiting.shift();
        if (next !== undefined) start().then(next.resolve, next.reject);
      });
      all.add(env);
      return env;
    } finally {
      starting--;
    }
  };

  const acquire = async (): Promise<Environment> => {
    if (stopped) throw new Error('the function is stopped');
    // the most recently used first, as Lambda reuses warm environments
    const warm = idle.pop();
    if (warm !== undefined) return warm;
    if (all.size + starting < max) return start();
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const release = (env: Environment) => {
    if (!all.has(env)) return;
    const next = waiting.shift();
    if (next !== undefined) next.resolve(env);
    else idle.push(env);
  };

  const invokeRaw = async (payload: string, invokeOptions: InvokeOptions = {}): Promise<InvokeOutput> => {
    const env = await acquire();
    env.busy = true;
    try {
      return await env.invoke(payload, invokeOptions.requestId ?? randomUUID(), invokeOptions.traceId, timeoutMs);
    } finally {
      env.busy = false;
      release(env);
    }
  };

  return {
    invokeRaw,
    invoke: async (event, invokeOptions) => {
      const result = await invokeRaw(JSON.stringify(event), invokeOptions);
      if (result.functionError !== undefined) throw new LambdaFunctionError(result.requestId, result.payload);
      return result.payload === '' ? null : JSON.parse(result.payload);
    },
    environments: () => [...all].map(({ emulatorPid, runtimeApi, invokeUrl, busy }) => ({ emulatorPid, runtimeApi, invokeUrl, busy })),
    stop: async () => {
      stopped = true;
      for (const waiter of waiting.splice(0)) waiter.reject(new Error('the function was stopped'));
      await Promise.all([...all].map((env) => env.stop()));
    },
  };
}

type Paths = ReturnType<typeof runtimePaths>;

/** What Lambda puts into a nodejs24.x function's environment, with local paths for /var/task, /var/runtime and /var/lang. */
function lambdaEnvironment(options: LambdaFunctionOptions, paths: Paths): () => Record<string, string> {
  const functionName = options.functionName ?? 'function';
  const region = options.region ?? 'us-east-1';
  const runtimeDir = paths.ric.home;
  const fixed: Record<string, string> = {
    ...options.environment,
    PATH: `${paths.lambda.binDir}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LD_LIBRARY_PATH: [`${paths.lambda.home}/lib`, '/lib64', '/usr/lib64', runtimeDir, `${runtimeDir}/lib`, options.codeDir, `${options.codeDir}/lib`].join(':'),
    NODE_PATH: [`${runtimeDir}/node_modules`, runtimeDir, options.codeDir].join(':'),
    LAMBDA_TASK_ROOT: options.codeDir,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySizeMb ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: options.logGroupName ?? `/aws/lambda/${functionName}`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
  };
  if (options.logFormat === 'JSON') {
    fixed.AWS_LAMBDA_LOG_FORMAT = 'JSON';
    if (options.applicationLogLevel !== undefined) fixed.AWS_LAMBDA_LOG_LEVEL = options.applicationLogLevel;
  }
  if (options.credentials !== undefined) {
    fixed.AWS_ACCESS_KEY_ID = options.credentials.accessKeyId;
    fixed.AWS_SECRET_ACCESS_KEY = options.credentials.secretAccessKey;
    if (options.credentials.sessionToken !== undefined) fixed.AWS_SESSION_TOKEN = options.credentials.sessionToken;
  }
  // each environment writes to a log stream of its own
  return () => ({ ...fixed, AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}` });
}

interface Environment {
  readonly emulatorPid: number;
  readonly runtimeApi: string;
  readonly invokeUrl: string;
  busy: boolean;
  invoke(payload: string, requestId: string, traceId: string | undefined, timeoutMs: number): Promise<InvokeOutput>;
  stop(): Promise<void>;
}

async function startEnvironment(
  paths: Paths,
  environment: Record<string, string>,
  options: LambdaFunctionOptions,
  output: NonNullable<LambdaFunctionOptions['output']>,
  onExit: (env: Environment) => void,
): Promise<Environment> {
  for (let attempt = 1; ; attempt++) {
    const [runtimePort, invokePort] = await Promise.all([freePort(), freePort()]);
    try {
      return await launch(paths, environment, options, output, onExit, runtimePort, invokePort);
    } catch (error) {
      // a port taken between our probe and the emulator's bind: try others
      if (attempt === 3) throw error;
    }
  }
}

/**
 * Emulators still running, killed when this process exits: Node leaves children behind, and an
 * emulator outliving its function (a test that failed before stop(), a killed service) would keep
 * a runtime and its ports forever.
 */
const liveEmulators = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveEmulators) child.kill('SIGKILL');
});

async function launch(
  paths: Paths,
  environment: Record<string, string>,
  options: LambdaFunctionOptions,
  output: NonNullable<LambdaFunctionOptions['output']>,
  onExit: (env: Environment) => void,
  runtimePort: number,
  invokePort: number,
): Promise<Environment> {
  const runtimeApi = `127.0.0.1:${runtimePort}`;
  const invokeAddress = `127.0.0.1:${invokePort}`;
  // The emulator forwards its whole environment to the runtime; `env -u` keeps its own setting
  // (the timeout it enforces) out of what the function sees, and execs Node in its place.
  const child = spawn(
    paths.emulator.bin,
    ['--runtime-api-address', runtimeApi, '--runtime-interface-emulator-address', invokeAddress, '/usr/bin/env', '-u', 'AWS_LAMBDA_FUNCTION_TIMEOUT', paths.lambda.node, paths.ric.entry, options.handler],
    { cwd: options.codeDir, env: { ...environment, AWS_LAMBDA_FUNCTION_TIMEOUT: String(options.timeoutSeconds ?? 3) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const recent: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream], crlfDelay: Infinity }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      output(line, stream);
    });
  }
  liveEmulators.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      liveEmulators.delete(child);
      resolve(code);
    }),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const env: Environment = {
    emulatorPid: child.pid!,
    runtimeApi,
    invokeUrl: `http://${invokeAddress}${INVOKE_PATH}`,
    busy: false,
    invoke: (payload, requestId, traceId, timeoutMs) => post(agent, invokePort, payload, requestId, traceId, timeoutMs),
    stop: () => stopChild(child, exited).finally(() => agent.destroy()),
  };
  void exited.then(() => {
    agent.destroy();
    onExit(env);
  });
  try {
    const ready = await Promise.race([waitForPort(invokePort).then(() => true), exited.then(() => false)]);
    if (!ready) throw new Error(`the Lambda runtime emulator exited on start; its last lines:\n${recent.join('\n')}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return env;
}

/** One invocation, told apart the way the Invoke API does (the emulator has no X-Amz-Function-Error header). */
function post(agent: Agent, port: number, payload: string, requestId: string, traceId: string | undefined, timeoutMs: number): Promise<InvokeOutput> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': requestId };
    if (traceId !== undefined) headers['x-amzn-trace-id'] = traceId;
    const call = request({ host: '127.0.0.1', port, method: 'POST', path: INVOKE_PATH, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status === 200 && /^Task timed out after \d+\.\d+ seconds$/.test(text)) {
          resolve({ requestId, functionError: 'Unhandled', payload: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${text}` }) });
        } else if (status === 200) {
          resolve(isErrorDocument(text) ? { requestId, payload: text, functionError: 'Unhandled' } : { requestId, payload: text });
        } else if (status === 502 && isErrorDocument(text, false)) {
          // the runtime exited or failed to start (Runtime.ExitError, Runtime.ImportModuleError, ...)
          resolve({ requestId, payload: text, functionError: 'Unhandled' });
        } else {
          reject(new Error(`the Lambda runtime emulator answered ${status}${text === '' ? '' : `: ${text.slice(0, 500)}`}`));
        }
      });
    });
    // the emulator ends the invocation at the function's timeout; this only catches an emulator that hangs
    call.setTimeout(timeoutMs + 10_000, () => call.destroy(new Error('the Lambda runtime emulator did not answer')));
    // an emulator that exits destroys the agent, and with it this request
    call.on('error', reject);
    call.end(payload);
  });
}

/** aws-lambda-ric's document for an error the handler threw: errorType, errorMessage and the stack as `trace`. */
function isErrorDocument(text: string, withTrace = true): boolean {
  const document = parseObject(text);
  return document !== undefined && typeof document.errorType === 'string' && typeof document.errorMessage === 'string' && (!withTrace || Array.isArray(document.trace));
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGTERM: the emulator kills its runtime and exits; SIGKILL if it does not
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the Lambda runtime emulator did not listen on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
