import { request as httpsRequest, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectionFor } from './proxy-tunnel.js';
import { caSecureContext } from './tls.js';
import { retryAfterMs } from '../../lib/core/index.js';

/** One answer of the CA. */
export interface CaResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The JSON body parsed, or the text as it came (a PEM chain), '' when there is none. */
  readonly data: unknown;
}

/** A request to the CA: `data` is the JWS (an object) for a POST. */
export type CaRequest = (url: string, method: string, options?: { data?: unknown; headers?: Record<string, string> }) => Promise<CaResponse>;

/** certbot's network timeout: a CA that accepts the connection and never answers fails the run. */
export const CA_REQUEST_TIMEOUT_MS = 45_000;
/** Retries of a request the CA answered 5xx (or asked to repeat soon with 429), or that lost its connection. */
const MAX_RETRIES = 3;
/** Longest Retry-After waited for within a run; a longer one is the CA's answer (a rate limit). */
const MAX_RETRY_WAIT_MS = 10_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
/** RFC 8555 §6.1: clients send a User-Agent naming themselves. */
export const USER_AGENT = 'acme-on-aws (node:https)';

/**
 * Every request to the CA (signed ACME requests, the directory, ARI, health) goes through here:
 * node:https on the CA's agent (tls.ts). JSON bodies are parsed (anything else is left as text),
 * redirects of GETs followed, a 5xx retried after Retry-After, a request times out after 45 s, a
 * 429 asking for more than 10 s is returned as the CA's answer (it is a rate limit; the renewal
 * state records when to try again), and a refused or unresolvable CA fails at once.
 *
 * Behind an HTTPS proxy (HTTPS_PROXY or ALL_PROXY, minus NO_PROXY) the same requests go through a
 * CONNECT tunnel (proxy-tunnel.ts): one transport either way, the TLS trust unchanged.
 */
export function caRequest(agent: Agent, timeoutMs = CA_REQUEST_TIMEOUT_MS, env: NodeJS.ProcessEnv = process.env): CaRequest {
  return (url, method, options = {}) => {
    const body = options.data === undefined ? undefined : typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json, */*', ...lowerCased(options.headers ?? {}) };
    if (body !== undefined) headers['content-type'] = 'application/jose+json';
    return withRetries(() => send({ agent, timeoutMs, env }, url, method.toUpperCase(), headers, body, MAX_REDIRECTS));
  };
}

/** An unsigned GET to the CA (the directory, ARI, health). Any status is returned; the caller says which it accepts. */
export async function caGet(url: string, agent: Agent, env: NodeJS.ProcessEnv = process.env): Promise<CaResponse> {
  return caRequest(agent, CA_REQUEST_TIMEOUT_MS, env)(url, 'GET');
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

async function send(via: { agent: Agent; timeoutMs: number; env: NodeJS.ProcessEnv }, url: string, method: string, headers: Record<string, string>, body: string | undefined, redirectsLeft: number): Promise<CaResponse> {
  const connection = await connectionFor(url, via.agent, caSecureContext(), via.env);
  return new Promise<CaResponse>((resolve, reject) => {
    const sized = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = httpsRequest(url, { method, headers: sized, ...connection }, (response) => {
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

/** JSON when it parses as JSON (problem documents, resources), else the text (a PEM chain). */
function parseBody(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
