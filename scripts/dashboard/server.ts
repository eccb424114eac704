// `just dashboard`: the certificate dashboard, a page served on 127.0.0.1:DASHBOARD_PORT whose API
// calls the server signs with the operator's own AWS credentials (signed-api.ts) and forwards to
// the certificate API (target.ts). Only this machine can reach it, and only the page can use it:
// a Host other than 127.0.0.1/localhost (DNS rebinding) is refused, so is an /api/ call without
// the page's x-dashboard header or from another Origin (a cross-site form or script cannot add
// one without a CORS preflight, which is never answered). docs/operations.md has the how-to.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { build } from 'esbuild';
import { KEY_TYPES, KNOWN_DIRECTORIES } from '../../lib/core/index.js';
import { readBody } from '../http-body.js';
import { API_PREFIX, PAGE_HEADER, SESSION_PATH, type Session } from './page/contract.js';
import { cachedCredentials, signedApi, type SignedApi } from './signed-api.js';
import { resolveTarget, UsageError, type DashboardTarget } from './target.js';

const PAGE_DIR = join(import.meta.dirname, 'page');
/** The API's bodies are small JSON (a request is names and options); a function URL takes 6 MB. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The methods the API's routes use (lambdas/api/routes.ts); anything else is not forwarded. */
const FORWARDED_METHODS = new Set(['GET', 'POST', 'DELETE']);

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface PageAssets {
  readonly html: string;
  readonly css: string;
  readonly script: string;
}

/** The page as served: app.ts bundled for the browser by esbuild, in memory. */
export async function pageAssets(): Promise<PageAssets> {
  const bundle = await build({ entryPoints: [join(PAGE_DIR, 'app.ts')], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent' });
  return {
    html: readFileSync(join(PAGE_DIR, 'index.html'), 'utf8'),
    css: readFileSync(join(PAGE_DIR, 'style.css'), 'utf8'),
    script: bundle.outputFiles[0]!.text,
  };
}

export interface DashboardOptions {
  readonly port: number;
  readonly api: SignedApi;
  readonly region: string;
  /** Who the credentials are (STS), shown on the page. */
  readonly signedAs: () => Promise<string>;
  readonly assets: PageAssets;
  readonly log?: (line: string) => void;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType });
  response.end(body);
}

function refuse(response: ServerResponse, status: number, title: string, detail: string): void {
  send(response, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title, status, detail }));
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const log = options.log ?? ((line: string) => console.error(line));
  let port = options.port;
  const hosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const host = request.headers.host ?? '';
    if (!hosts().has(host)) {
      log(`refused a request for host ${JSON.stringify(host)}`);
      return refuse(response, 421, 'Misdirected request', `this dashboard answers for 127.0.0.1:${port} and localhost:${port} only`);
    }
    const url = new URL(request.url ?? '/', `http://${host}`);
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', options.assets.html);
    if (method === 'GET' && url.pathname === '/app.js') return send(response, 200, 'text/javascript; charset=utf-8', options.assets.script);
    if (method === 'GET' && url.pathname === '/style.css') return send(response, 200, 'text/css; charset=utf-8', options.assets.css);
    const forApi = url.pathname.startsWith(`${API_PREFIX}/`);
    if (!forApi && url.pathname !== SESSION_PATH) return refuse(response, 404, 'Not found', `${url.pathname} is not part of the dashboard`);
    const origin = request.headers.origin;
    if (request.headers[PAGE_HEADER] !== '1' || (origin !== undefined && origin !== `http://${host}`)) {
      log(`refused ${method} ${url.pathname}: ${origin !== undefined && origin !== `http://${host}` ? `from origin ${origin}` : 'without the page header'}`);
      return refuse(response, 403, 'Forbidden', 'only the dashboard page may call this');
    }
    if (!forApi) {
      const session: Session = { apiUrl: options.api.url, region: options.region, signedAs: await options.signedAs(), keyTypes: KEY_TYPES, knownCas: KNOWN_DIRECTORIES };
      return send(response, 200, 'application/json', JSON.stringify(session));
    }
    if (!FORWARDED_METHODS.has(method)) return refuse(response, 405, 'Method not allowed', `the certificate API has no ${method} route`);
    let body: Buffer;
    try {
      body = await readBody(request, MAX_BODY_BYTES);
    } catch {
      return refuse(response, 413, 'Request too large', `a request body is at most ${MAX_BODY_BYTES} bytes`);
    }
    const path = url.pathname.slice(API_PREFIX.length) + url.search;
    let answer;
    try {
      answer = await options.api.call(method, path, body.length === 0 ? undefined : { text: body.toString('utf8'), contentType: request.headers['content-type'] ?? 'application/json' });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      log(`${method} ${path}: the API at ${options.api.url} did not answer: ${why}`);
      return refuse(response, 502, 'The certificate API did not answer', `${options.api.url}: ${why}. Locally: is the stack up (just up)? On AWS: is the stack deployed with DEPLOY_API=true?`);
    }
    if (method !== 'GET' || answer.status >= 400) log(`${method} ${path} -> ${answer.status}`);
    return send(response, answer.status, answer.contentType ?? 'application/json', answer.body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`the dashboard failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) refuse(response, 500, 'The dashboard failed', 'see the log of just dashboard');
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address === 'object' && address !== null) port = address.port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The caller's ARN as STS (moto's locally, AWS's with --aws) tells it; the error when it cannot. */
function callerArn(credentials: AwsCredentialIdentityProvider, target: DashboardTarget, env: NodeJS.ProcessEnv): () => Promise<string> {
  let known: Promise<string> | undefined;
  return () => {
    known ??= new STSClient({ region: env.AWS_REGION || target.region, credentials })
      .send(new GetCallerIdentityCommand({}))
      .then((who) => who.Arn ?? 'unknown')
      .catch((error: unknown) => {
        known = undefined;
        return `unknown (STS: ${error instanceof Error ? error.message : String(error)})`;
      });
    return known;
  };
}

async function main(): Promise<void> {
  const env = process.env;
  let target: DashboardTarget;
  try {
    target = await resolveTarget(process.argv.slice(2), env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const port = Number(env.DASHBOARD_PORT ?? '5005');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`DASHBOARD_PORT is ${env.DASHBOARD_PORT}: a TCP port (0-65535) is expected (.env)`);
    process.exit(2);
  }
  const credentials = cachedCredentials(defaultProvider());
  const api = signedApi(target.apiUrl, target.region, credentials);
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({ port, api, region: target.region, signedAs: callerArn(credentials, target, env), assets: await pageAssets() });
  } catch (error) {
    console.error(`cannot listen on 127.0.0.1:${port}: ${error instanceof Error ? error.message : String(error)} (another dashboard? set DASHBOARD_PORT)`);
    process.exit(1);
  }
  console.error(`dashboard on ${dashboard.url}, for the API at ${target.apiUrl} (SigV4, region ${target.region})`);
  const health = await api.call('GET', '/health').catch((error: unknown) => ({ status: 0, body: error instanceof Error ? error.message : String(error) }));
  if (health.status !== 200) console.error(`warning: GET ${target.apiUrl}/health answered ${health.status === 0 ? 'nothing' : health.status}: ${health.body.slice(0, 300)}`);
  const stop = () => void dashboard.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
