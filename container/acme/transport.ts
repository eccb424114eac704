import { request as httpsRequest, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import acme from 'acme-client';
import { retryAfterMs } from '../../lib/core/index.js';

/** What acme-client's HttpClient.request returns (an axios response; src/http.js, pinned in package-lock). */
export interface CaResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The JSON body parsed, or the text as it came (a PEM chain), '' when there is none. */
  readonly data: unknown;
}

/** acme-client's HttpClient.request: `data` is the JWS (an object) for a POST. */
export type CaRequest = (url: string, method: string, options?: { data?: unknown; headers?: Record<string, string> }) => Promise<CaResponse>;

/** certbot's network timeout: a CA that accepts the connection and never answers fails the run. */
export const CA_REQUEST_TIMEOUT_MS = 45_000;
/** Retries of a request the CA answered 5xx (or asked to repeat soon with 429), or that lost its connection. */
const MAX_RETRIES = 3;
/** Longest Retry-After waited for within a run; a longer one is the CA's answer (a rate limit). */
const MAX_RETRY_WAIT_MS = 10_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/**
 * Sends acme-client's requests with node:https on the CA's agent instead of through its axios
 * instance: axios's per-request machinery (config merging, interceptors, follow-redirects) was
 * the largest JavaScript cost of a 50-name order (~0.4 ms of CPU a request, bench/). What axios
 * gave acme-client is kept: JSON bodies parsed (anything else left as text), redirects of GETs
 * followed, a 5xx retried after Retry-After. Changed on purpose: a request times out after 45 s,
 * a 429 asking for more than 10 s is returned as the CA's answer (it is a rate limit; the
 * renewal state records when to try again), and a refused or unresolvable CA fails at once
 * instead of after acme-client's 75 s of retries.
 *
 * Not used when an HTTPS proxy is configured (HTTPS_PROXY, ALL_PROXY): axios honours those.
 */
export function sendDirect(client: acme.Client, agent: Agent, env: NodeJS.ProcessEnv = process.env): boolean {
  if (proxyConfigured(env)) return false;
  (client as unknown as { http: { request: CaRequest } }).http.request = caRequest(agent);
  return true;
}

/** The request function sendDirect gives acme-client. */
export function caRequest(agent: Agent, timeoutMs = CA_REQUEST_TIMEOUT_MS): CaRequest {
  const userAgent = String(acme.axios.defaults.headers.common['User-Agent'] ?? 'node-acme-client');
  return (url, method, options = {}) => {
    const body = options.data === undefined ? undefined : typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: 'application/json, */*', ...lowerCased(options.headers ?? {}) };
    if (body !== undefined) headers['content-type'] = 'application/jose+json';
    return withRetries(() => send({ agent, timeoutMs }, url, method.toUpperCase(), headers, body, MAX_REDIRECTS));
  };
}

/**
 * An unsigned GET to the CA outside acme-client (the directory, ARI), on the same transport
 * sendDirect gives acme-client: caRequest on the CA's agent, or acme-client's axios behind a proxy.
 * Any status is returned; the caller says which it accepts.
 */
export async function caGet(url: string, agent: Agent, env: NodeJS.ProcessEnv = process.env): Promise<CaResponse> {
  if (!proxyConfigured(env)) return caRequest(agent)(url, 'GET');
  const response = await acme.axios.get<unknown>(url, { validateStatus: () => true });
  return { status: response.status, headers: response.headers as IncomingHttpHeaders, data: response.data };
}

function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'].some((name) => (env[name] ?? '') !== '');
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

async function withRetries(attempt: () => Promise<CaResponse>): Promise<CaResponse> {
  for (let retry = 1; ; retry++) {
    let response: CaResponse;
    try {
      response = await attempt();
    } catch (error) {
      // A kept-alive connection the CA closed as we reused it: the request never reached it.
      if (retry > MAX_RETRIES || !isLostConnection(error)) throw error;
      await sleep(250 * retry);
      continue;
    }
    const wait = retryWait(response, retry);
    if (wait === undefined) return response;
    await sleep(wait);
  }
}

/** How long to wait before repeating a request the CA answered with `response`, or undefined to return it. */
function retryWait(response: CaResponse, retry: number): number | undefined {
  if (retry > MAX_RETRIES) return undefined;
  const header = response.headers['retry-after'];
  const asked = typeof header === 'string' ? retryAfterMs(header, new Date()) : undefined;
  if (response.status === 429) return asked !== undefined && asked <= MAX_RETRY_WAIT_MS ? asked : undefined;
  if (response.status >= 500 && response.status !== 501) return Math.min(asked ?? 1000 * retry, MAX_RETRY_WAIT_MS);
  return undefined;
}

function isLostConnection(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || (error instanceof Error && error.message === 'socket hang up');
}

function send(via: { agent: Agent; timeoutMs: number }, url: string, method: string, headers: Record<string, string>, body: string | undefined, redirectsLeft: number): Promise<CaResponse> {
  return new Promise<CaResponse>((resolve, reject) => {
    const request = httpsRequest(url, { method, agent: via.agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if ((method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(status) && location !== undefined && redirectsLeft > 0) {
        response.resume();
        send(via, new URL(location, url).toString(), method, headers, undefined, redirectsLeft - 1).then(resolve, reject);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) request.destroy(new Error(`the CA's answer from ${url} is larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ status, headers: response.headers, data: parseBody(Buffer.concat(chunks).toString('utf8')) }));
      response.on('error', reject);
    });
    request.setTimeout(via.timeoutMs, () => {
      request.destroy(Object.assign(new Error(`ETIMEDOUT: no answer from ${url} within ${via.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** As axios did for acme-client: JSON when it parses as JSON (problem documents, resources), else the text (PEM). */
function parseBody(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
