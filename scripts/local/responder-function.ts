// The responder as Lambda runs it, a service of the local stack (`just up` starts it when
// RESPONDER_RUNTIME=lambda): the code and configuration a deploy ships (responder-asset.ts) under
// the real Lambda runtime (lambda-runtime.ts: the emulator, aws-lambda-ric, Node 24), behind the
// Lambda Invoke API on RESPONDER_INVOKE_PORT, which the local ALB adapter calls as ALB calls its
// Lambda target. Its output is the function's log (its lines and the emulator's START/END/REPORT
// lines): up.sh sends it to LOCAL_STATE_DIR/logs/responder.log, what CloudWatch Logs holds on AWS.
import { startLambdaFunction, type LambdaCredentials } from './lambda-runtime.js';
import { serveInvokeApi } from './lambda-invoke-api.js';
import { responderFunction, type ResponderFunction } from './responder-asset.js';

/** Set only locally, for a function whose AWS is moto; Lambda would not set them. */
const LOCAL_ONLY = ['AWS_ENDPOINT_URL'] as const;

/** The function's variables: the template's names, with the local stack's values (a literal of the template where none is set). */
export function responderVariables(fn: Pick<ResponderFunction, 'variables'>, env: NodeJS.ProcessEnv): Record<string, string> {
  const variables: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, literal] of Object.entries(fn.variables)) {
    const value = env[name] || literal;
    if (value) variables[name] = value;
    else missing.push(name);
  }
  if (missing.length > 0) throw new Error(`the responder's template sets ${missing.join(', ')} from a resource; set ${missing.length === 1 ? 'it' : 'them'} in .env`);
  for (const name of LOCAL_ONLY) if (env[name]) variables[name] = env[name];
  return variables;
}

/** The execution role's session: RESPONDER_AWS_* when RESPONDER_AWS_ACCESS_KEY_ID is set (all three: no token of another principal), else AWS_*. */
export function responderCredentials(env: NodeJS.ProcessEnv): LambdaCredentials | undefined {
  const prefix = env.RESPONDER_AWS_ACCESS_KEY_ID ? 'RESPONDER_AWS_' : 'AWS_';
  const accessKeyId = env[`${prefix}ACCESS_KEY_ID`];
  const secretAccessKey = env[`${prefix}SECRET_ACCESS_KEY`];
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env[`${prefix}SESSION_TOKEN`];
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/**
 * Environments the local function may run: RESPONDER_CONCURRENCY (what this machine affords), but
 * never more than the deployed function's reserved concurrency, read from the template rather
 * than copied, so the local responder cannot answer a burst the deployed one would throttle.
 */
export function localEnvironments(fn: Pick<ResponderFunction, 'reservedConcurrency'>, env: NodeJS.ProcessEnv): number {
  const machine = Number(env.RESPONDER_CONCURRENCY || '4');
  return fn.reservedConcurrency === undefined ? machine : Math.min(machine, fn.reservedConcurrency);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const fn = await responderFunction();
  if (fn.runtime !== 'nodejs24.x') throw new Error(`the responder's runtime is ${fn.runtime}; scripts/local/runtimes.mjs installs nodejs24.x only`);
  const lambda = await startLambdaFunction({
    codeDir: fn.codeDir,
    handler: fn.handler,
    runtime: fn.runtime,
    environment: responderVariables(fn, env),
    functionName: 'acme-challenge-responder',
    memorySizeMb: fn.memorySizeMb,
    timeoutSeconds: fn.timeoutSeconds,
    logFormat: fn.logFormat,
    region: env.AWS_REGION || 'us-east-1',
    credentials: responderCredentials(env),
    maxEnvironments: localEnvironments(fn, env),
  });
  const server = await serveInvokeApi(lambda, { host: '127.0.0.1', port: Number(env.RESPONDER_INVOKE_PORT ?? '5003') });
  console.error(`responder (${fn.handler}, asset ${fn.assetHash.slice(0, 12)}) under the Lambda runtime emulator; Invoke API on http://127.0.0.1:${server.port}/2015-03-31/functions/function/invocations`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(
      signal,
      () =>
        void server
          .close()
          .then(() => lambda.stop())
          .then(() => process.exit(0)),
    );
  }
}
