// The local stack's responder as Lambda runs it: pebble's requests reach the handler through the
// ALB adapter, the Lambda Invoke API and the Runtime Interface Emulator, which runs it with
// aws-lambda-ric on Node 24 from the asset a deploy ships. Proved from the outside: the process
// tree, the runtime's environment, and the runtime's own log lines for each answer. Faults are
// made for real (moto frozen with SIGSTOP, the runtime killed) and must come back as ALB's 502.
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responderFunction } from '../../scripts/local/responder-asset.js';
import { runtimePaths } from '../../scripts/local/runtimes.mjs';
import { randomToken } from '../support/alb-events.js';
import { eventOf, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let thumbprint: string;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'lambdart' });
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
  thumbprint = String(eventOf(registered, 'registered').thumbprint);
});
afterAll(async () => stack?.stop());

const pidOf = (service: string) => Number(readFileSync(join(stack.stateDir, 'run', `${service}.pid`), 'utf8'));

/** Every process below `root`, from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // the parent is the 2nd field after the command, which is in parentheses and may hold spaces
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** The executable a process runs, symlinks resolved (as /proc shows it; .local/bin may be a link). */
const exeOf = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
};
const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ) as Record<string, string>;

/** The function's runtimes: Lambda's Node under the responder service (one per execution environment). */
function runtimes(): number[] {
  return descendants(pidOf('responder')).filter((pid) => exeOf(pid) === realpathSync(runtimePaths().lambda.node));
}

/** The handler's request lines in the function's log, by correlation id (the trace id header). */
async function requestLine(traceId: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const line of stack.responderLog().split('\n')) {
      if (!line.startsWith('{') || !line.includes(traceId)) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.message === 'challenge request' && parsed.correlation_id === traceId) return parsed;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no request line for ${traceId} in the function's log:\n${stack.responderLog().slice(-3000)}`);
}

/** The adapter's log; up.sh's redirect may land a line a moment after the answer. */
async function adapterLogWith(text: string): Promise<string> {
  let log = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    log = readFileSync(join(stack.stateDir, 'logs', 'adapter.log'), 'utf8');
    if (log.includes(text)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return log;
}

const challenge = (token: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${stack.httpPort}/.well-known/acme-challenge/${token}`, init);

describe('the responder under the Lambda runtime', () => {
  it('answers from the handler that aws-lambda-ric runs on Node 24 under the emulator, each answer an invocation of its own', async () => {
    const token = randomToken();
    const traceId = `Root=1-00000000-${randomToken().slice(0, 24)}`;
    const answer = await challenge(token, { headers: { 'x-amzn-trace-id': traceId } });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe(`${token}.${thumbprint}`);

    // The handler saw a Lambda context (in process it has none), and the emulator reported that very invocation.
    const line = await requestLine(traceId);
    const requestId = String(line.function_request_id);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const log = stack.responderLog();
    expect(log).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(log).toMatch(new RegExp(`REPORT RequestId: ${requestId}\\t.*Memory Size: 256 MB`));
    expect(readFileSync(join(stack.stateDir, 'logs', 'adapter.log'), 'utf8')).not.toContain(traceId);

    // The process that ran it: Lambda's Node, started by the emulator with the runtime interface client.
    const paths = runtimePaths();
    const emulators = descendants(pidOf('responder')).filter((pid) => exeOf(pid) === realpathSync(paths.emulator.bin));
    expect(emulators.length).toBeGreaterThan(0);
    const [runtime] = runtimes();
    expect(runtime).toBeDefined();
    expect(emulators).toContain(Number(readFileSync(`/proc/${runtime}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]));
    expect(argvOf(runtime!)).toEqual([paths.lambda.node, paths.ric.entry, 'index.handler']);
    // The adapter runs no function of its own (tsx's esbuild service may be its one child).
    expect(descendants(pidOf('adapter')).filter((pid) => !/esbuild/.test(exeOf(pid)))).toEqual([]);
  });

  it("gives the function the environment Lambda gives it: the deploy's code and settings, the stack's values, nothing else of ours", async () => {
    const fn = await responderFunction();
    const env = environOf(runtimes()[0]!);
    expect(env).toMatchObject({
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      LAMBDA_TASK_ROOT: fn.codeDir,
      _HANDLER: 'index.handler',
      TZ: ':UTC',
      AWS_REGION: stack.env.AWS_REGION,
      AWS_DEFAULT_REGION: stack.env.AWS_REGION,
      // the responder role's session when moto enforces IAM (the tests' default), as Lambda gives the function its role's
      AWS_ACCESS_KEY_ID: stack.iam?.responderEnv.AWS_ACCESS_KEY_ID ?? stack.env.AWS_ACCESS_KEY_ID,
      CERT_BUCKET: stack.env.CERT_BUCKET,
      JWK_REFRESH_SECONDS: stack.env.JWK_REFRESH_SECONDS,
      AWS_ENDPOINT_URL: stack.env.AWS_ENDPOINT_URL,
    });
    expect(env.AWS_LAMBDA_RUNTIME_API).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(readdirSync(fn.codeDir)).toEqual(['index.mjs']);
    // not the emulator's own setting, not the stack's configuration
    for (const name of ['AWS_LAMBDA_FUNCTION_TIMEOUT', 'PEBBLE_HTTP_PORT', 'RESPONDER_INVOKE_PORT', 'RESPONDER_RUNTIME', 'LOCAL_STATE_DIR', 'HOME', 'ACME_DIRECTORY']) {
      expect(env, name).not.toHaveProperty(name);
    }
  });

  it('answers concurrent validations, each in an execution environment of its own (one emulator serves one at a time)', async () => {
    const tokens = Array.from({ length: 12 }, () => randomToken());
    const traces = tokens.map((token) => `Root=1-00000000-${token.slice(0, 24)}`);
    const answers = await Promise.all(tokens.map((token, i) => challenge(token, { headers: { 'x-amzn-trace-id': traces[i]! } }).then(async (r) => [r.status, await r.text()])));
    expect(answers).toEqual(tokens.map((token) => [200, `${token}.${thumbprint}`]));
    const requestIds = new Set(await Promise.all(traces.map(async (trace) => String((await requestLine(trace)).function_request_id))));
    expect(requestIds.size).toBe(12);
    // at most RESPONDER_CONCURRENCY environments (4 by default), each a runtime
    expect(runtimes().length).toBeGreaterThan(0);
    expect(runtimes().length).toBeLessThanOrEqual(4);
  });
});

describe("a function error is ALB's 502", () => {
  /** A fresh responder: its execution environments hold no thumbprint yet. */
  const coldResponder = async () => {
    await stack.service('stop', 'responder');
    await stack.service('start', 'responder');
  };
  const freezeMoto = () => process.kill(pidOf('moto'), 'SIGSTOP');
  const thawMoto = () => process.kill(pidOf('moto'), 'SIGCONT');

  it('when the runtime dies during the invocation (Runtime.ExitError), and the next request gets a new runtime', async () => {
    await coldResponder();
    const mark = stack.responderLog().length;
    freezeMoto();
    try {
      // the handler waits for S3, which does not answer; the emulator has started the invocation
      const pending = challenge(randomToken());
      for (let attempt = 0; attempt < 100 && !stack.responderLog().slice(mark).includes('START RequestId:'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const running = runtimes();
      expect(running).toHaveLength(1);
      process.kill(running[0]!, 'SIGKILL');
      const answer = await pending;
      expect(answer.status).toBe(502);
      expect(await answer.text()).toContain('502 Bad Gateway');
    } finally {
      thawMoto();
    }
    expect(stack.responderLog()).toContain('Runtime.ExitError');
    expect(await adapterLogWith('Runtime.ExitError')).toMatch(/X-Amz-Function-Error: Unhandled .*Runtime\.ExitError/);
    const token = randomToken();
    const again = await challenge(token);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(`${token}.${thumbprint}`);
  });

  it('when the function runs past its timeout (Sandbox.Timedout: S3 never answers)', async () => {
    await coldResponder();
    freezeMoto();
    let answer: Response;
    try {
      answer = await challenge(randomToken());
    } finally {
      thawMoto();
    }
    expect(answer.status).toBe(502);
    expect(await adapterLogWith('Sandbox.Timedout')).toMatch(/X-Amz-Function-Error: Unhandled .*Sandbox\.Timedout/);
    expect(stack.responderLog()).toMatch(/REPORT RequestId: \S+\tDuration: 10000\.00 ms/);
  });
});
