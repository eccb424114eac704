// The local function URL of the certificate API, a development tool on node:http: listens on
// 127.0.0.1:API_PORT, refuses a request that is not signed with SigV4 (service "lambda") by a key
// moto's IAM knows, or whose signature does not match, with 403 as a function URL with AWS_IAM
// auth does, and hands every other request to the real handler (lambdas/api/handler.ts) as the
// function URL's event (function-url-event.ts), the signer's identity in
// requestContext.authorizer.iam as STS reports it. `just up` starts it, `just down` stops it.
//
// The handler's own AWS requests (S3, ECS RunTask) are the API function's role's, as on Lambda:
// with LOCAL_IAM_ENFORCE=true this process runs the handler with the session of the local `api`
// role (run/api.env, bootstrap-iam.ts), which holds the synthesized template's policy for the
// function's role; the caller's key is used only to ask STS who signed. A stack without the API
// (DEPLOY_API=false: the template has no API role) has nothing here to stand in for: the endpoint
// does not start, and says why (`api-endpoint.ts check`, which up.sh asks first, exits 3).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigReader } from '../../lib/core/config-reader.js';
import { API_ENV } from '../../lib/core/index.js';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { apiFromEnv, createHandler, type ApiHandler } from '../../lambdas/api/handler.js';
import { readBody } from '../http-body.js';
import { runDir, type IamState } from './bootstrap-iam.js';
import { functionUrlEventOf, type IamIdentity } from './function-url-event.js';
import { verifySigV4, type KnownKey } from './sigv4-verifier.js';
import type { LocalTask } from './task-definition.js';

/** A function URL refuses a request over 6 MB (Lambda's synchronous payload limit). */
const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** A function URL's refusal of an unsigned or wrongly signed request. */
const FORBIDDEN = JSON.stringify({ Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' });

export interface ApiEndpointOptions {
  readonly port: number;
  readonly region: string;
  /** The secret (and session token) of an access key, as moto's IAM holds it; undefined: unknown key. */
  readonly keys: (accessKeyId: string) => Promise<KnownKey | undefined>;
  /** Who a verified key is, as STS says (what the function URL puts in authorizer.iam). */
  readonly identity: (key: KnownKey) => Promise<IamIdentity>;
  readonly handler: ApiHandler;
  /** Told why a request was refused (the log; the client gets AWS's bare 403). */
  readonly refused?: (why: string) => void;
}

export interface ApiEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer | undefined> {
  const body = await readBody(request, MAX_BODY_BYTES);
  return body.length === 0 ? undefined : body;
}

/** Repeated headers joined with "," as a function URL does; names lower-cased (node does that). */
function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  return headers;
}

export async function startApiEndpoint(options: ApiEndpointOptions): Promise<ApiEndpoint> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const send = (status: number, headers: Record<string, string>, body: string) => {
        response.writeHead(status, headers);
        response.end(body);
      };
      let body: Buffer | undefined;
      try {
        body = await bodyOf(request);
      } catch {
        return send(413, { 'content-type': 'application/json' }, JSON.stringify({ Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' }));
      }
      const target = request.url ?? '/';
      const q = target.indexOf('?');
      const rawPath = q === -1 ? target : target.slice(0, q);
      const rawQueryString = q === -1 ? '' : target.slice(q + 1);
      const headers = headersOf(request);
      const verdict = await verifySigV4({ method: request.method ?? 'GET', rawPath, rawQueryString, headers, body }, { region: options.region, service: 'lambda', keys: options.keys });
      if (!verdict.ok) {
        options.refused?.(`${request.method} ${rawPath}: ${verdict.why}`);
        return send(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }, FORBIDDEN);
      }
      const identity = await options.identity(verdict.key);
      const event = functionUrlEventOf(
        {
          method: request.method ?? 'GET',
          rawPath,
          rawQueryString,
          headers: { ...headers, 'x-forwarded-proto': 'http', 'x-forwarded-port': String(options.port) },
          body,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          domainName: headers['host'] ?? '127.0.0.1',
        },
        identity,
      );
      let result: LambdaFunctionURLResult;
      try {
        result = await options.handler(event);
      } catch (error) {
        console.error('the handler failed', error);
        return send(502, { 'content-type': 'application/json', 'x-amzn-errortype': 'FunctionError' }, JSON.stringify({ Message: 'Internal Server Error' }));
      }
      // A string result is the body of a 200 with application/json, as the function URL reads it.
      if (typeof result === 'string') return send(200, { 'content-type': 'application/json' }, result);
      const out = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const text = result.body === undefined ? '' : result.isBase64Encoded === true ? Buffer.from(result.body, 'base64').toString('latin1') : result.body;
      return send(result.statusCode ?? 200, out, text);
    })().catch((error: unknown) => {
      console.error('the endpoint failed', error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** KEY='value' lines, as scripts/local/bootstrap-*.ts write them; {} when the file is absent. */
function envFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)='([^']*)'$/.exec(line);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

/**
 * The keys moto's IAM knows on the local stack: the admin's (run/admin.env), the issuer task
 * role's and the responder role's sessions (run/issuer.env, run/responder.env), and, without IAM
 * enforcement, the .env keys moto accepts.
 */
export function localKeys(env: NodeJS.ProcessEnv): KnownKey[] {
  const run = join(env.LOCAL_STATE_DIR ?? '.local', 'run');
  const keys: KnownKey[] = [];
  const add = (values: Record<string, string | undefined>, prefix = '') => {
    const accessKeyId = values[`${prefix}AWS_ACCESS_KEY_ID`];
    const secretAccessKey = values[`${prefix}AWS_SECRET_ACCESS_KEY`];
    const token = values[`${prefix}AWS_SESSION_TOKEN`];
    if (accessKeyId && secretAccessKey) keys.push({ accessKeyId, secretAccessKey, ...(token ? { sessionToken: token } : {}) });
  };
  add(env);
  add(envFile(join(run, 'admin.env')));
  add(envFile(join(run, 'issuer.env')));
  add(envFile(join(run, 'responder.env')), 'RESPONDER_');
  return keys;
}

/** The identity STS (moto's) gives a key: what a function URL reports for its signature. */
export function stsIdentity(env: NodeJS.ProcessEnv): (key: KnownKey) => Promise<IamIdentity> {
  const cache = new Map<string, Promise<IamIdentity>>();
  return (key) => {
    let found = cache.get(key.accessKeyId);
    if (found === undefined) {
      const sts = new STSClient({ region: env.AWS_REGION ?? 'us-east-1', endpoint: env.AWS_ENDPOINT_URL, credentials: key });
      found = sts.send(new GetCallerIdentityCommand({})).then((who) => ({ accountId: who.Account!, userArn: who.Arn!, userId: who.UserId!, accessKey: key.accessKeyId, callerId: who.UserId! }));
      found.catch(() => cache.delete(key.accessKeyId));
      cache.set(key.accessKeyId, found);
    }
    return found;
  };
}

/**
 * The issuer task the API starts: the cluster and task definition bootstrap-ecs.ts registered in
 * moto from the synthesized template (run/task.json, the local stand-in for the stack's outputs),
 * whose tasks the local task runner runs; unless ISSUER_CLUSTER names one already (a test may).
 */
function localIssuerTask(env: NodeJS.ProcessEnv): Record<string, string> {
  const { cluster } = API_ENV;
  if (env[cluster]) return {};
  const file = join(runDir(env), 'task.json');
  let task: LocalTask;
  try {
    task = JSON.parse(readFileSync(file, 'utf8')) as LocalTask;
  } catch (error) {
    throw new Error(`no issuer task registered in moto (${file}: ${error instanceof Error ? error.message : String(error)}): run just up, which registers it (bootstrap-ecs.ts)`);
  }
  return {
    [API_ENV.cluster]: task.clusterArn,
    [API_ENV.taskDefinition]: task.taskDefinitionArn,
    [API_ENV.container]: task.containerName,
    [API_ENV.subnets]: task.subnets.join(','),
    [API_ENV.securityGroups]: task.securityGroups.join(','),
    [API_ENV.assignPublicIp]: String(task.assignPublicIp === 'ENABLED'),
  };
}

/** Why there is no API to serve locally (the deployed stack would have none), or undefined: there is. */
export function noApiReason(env: NodeJS.ProcessEnv): string | undefined {
  if (new ConfigReader(env).boolean('LOCAL_IAM_ENFORCE', false)) {
    // the roles `just up` made from the template: an API role exactly when the template has the API
    const file = join(runDir(env), 'iam.json');
    let state: IamState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as IamState;
    } catch (error) {
      throw new Error(`no roles made yet (${file}: ${error instanceof Error ? error.message : String(error)}): run just up`);
    }
    return state.roles.api === undefined ? 'the template has no certificate API (DEPLOY_API=false), so no API role to run its handler as' : undefined;
  }
  return new ConfigReader(env).boolean('DEPLOY_API', true) ? undefined : 'DEPLOY_API=false: the stack has no certificate API';
}

/**
 * The credentials the handler's AWS clients use, as Lambda hands a function its role's session
 * (AWS_* in its environment): the `api` role's session (run/api.env) when moto enforces IAM;
 * undefined otherwise: the stack's own keys, which moto does not check.
 */
export function handlerCredentials(env: NodeJS.ProcessEnv): Record<'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_SESSION_TOKEN', string> | undefined {
  if (!new ConfigReader(env).boolean('LOCAL_IAM_ENFORCE', false)) return undefined;
  const file = join(runDir(env), 'api.env');
  const session = envFile(file);
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token } = session;
  if (!id || !secret || !token) throw new Error(`moto enforces IAM but ${file} holds no session of the API role: run just up, which makes it (bootstrap-iam.ts roles)`);
  return { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token };
}

async function main(): Promise<void> {
  const env = { ...process.env };
  const absent = noApiReason(env);
  if (process.argv[2] === 'check' || absent !== undefined) {
    if (absent !== undefined) console.error(`not starting the local certificate API: ${absent}`);
    process.exit(absent === undefined ? 0 : 3);
  }
  Object.assign(env, localIssuerTask(env));
  // The handler's clients read AWS_* from this process's environment (the SDK's default chain), as
  // in Lambda; `env` keeps the operator's keys for what the endpoint itself knows (localKeys).
  const credentials = handlerCredentials(env);
  if (credentials !== undefined) Object.assign(process.env, credentials);
  const handlerEnv = { ...env, ...credentials };
  const port = Number(process.env.API_PORT ?? '5004');
  const region = env.AWS_REGION ?? 'us-east-1';
  let api: ReturnType<typeof apiFromEnv> | undefined;
  const endpoint = await startApiEndpoint({
    port,
    region,
    // Read again on every unknown key: `just up` may have made new sessions since this started.
    keys: (id) => Promise.resolve(localKeys(env).find((key) => key.accessKeyId === id)),
    identity: stsIdentity(env),
    handler: createHandler(() => (api ??= apiFromEnv(handlerEnv))),
    refused: (why) => console.error(`refused ${why}`),
  });
  const as = credentials !== undefined ? 'the handler runs as the api role (run/api.env)' : "the handler uses the stack's keys (moto checks nothing)";
  console.error(`certificate API on ${endpoint.url} (SigV4, service lambda, region ${region}; ${as})`);
  const stop = () => void endpoint.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
