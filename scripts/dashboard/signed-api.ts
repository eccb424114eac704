// The dashboard's way to the certificate API: each call signed with SigV4 (service "lambda", as a
// function URL with AWS_IAM auth wants) by the operator's own credentials, the SDK's default chain
// (environment, AWS_PROFILE, SSO, a role), and sent over node:http(s). The credentials stay in
// this process: the page only ever talks to the dashboard server.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { Sha256 } from '../local/sha256.js';

export interface ApiAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface SignedApi {
  readonly url: string;
  call(method: string, pathAndQuery: string, body?: { readonly text: string; readonly contentType: string }): Promise<ApiAnswer>;
}

/** A function URL answers within its 15-minute timeout at most; the API answers in seconds. */
const TIMEOUT_MS = 30_000;
/** Credentials are fetched again this long before they expire (an SSO or role session). */
const REFRESH_BEFORE_MS = 5 * 60_000;

/** One fetch of the chain at a time, kept until close to its expiry. */
export function cachedCredentials(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const held = current === undefined ? undefined : await current.catch(() => undefined);
    if (held !== undefined && (held.expiration === undefined || held.expiration.getTime() - Date.now() >= REFRESH_BEFORE_MS)) return held;
    current = provider();
    return current;
  };
}

export function signedApi(apiUrl: string, region: string, credentials: AwsCredentialIdentityProvider): SignedApi {
  const base = new URL(apiUrl);
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 });
  return {
    url: base.origin,
    async call(method, pathAndQuery, body) {
      const target = new URL(pathAndQuery, base);
      const query: Record<string, string | string[]> = {};
      for (const [key, value] of target.searchParams) {
        const had = query[key];
        query[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
      }
      const headers: Record<string, string> = { host: target.host, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = body.contentType;
      const signed = await signer.sign({
        method,
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port === '' ? {} : { port: Number(target.port) }),
        path: target.pathname,
        query,
        headers,
        ...(body === undefined ? {} : { body: body.text }),
      });
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise<ApiAnswer>((resolve, reject) => {
        const outgoing = send(target, { method, headers: signed.headers, timeout: TIMEOUT_MS }, (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, contentType: response.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        });
        outgoing.on('timeout', () => outgoing.destroy(new Error(`the API did not answer within ${TIMEOUT_MS / 1000} s`)));
        outgoing.on('error', reject);
        outgoing.end(body?.text);
      });
    },
  };
}
