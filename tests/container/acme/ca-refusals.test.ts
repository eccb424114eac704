// A CA that answers 503 and 429 with Retry-After, made for real: a TLS proxy in front of pebble
// that passes every request through unchanged, except that it answers the next newOrder requests
// itself with the status a loaded CA sends (Let's Encrypt's rate limits carry Retry-After). The
// Host stays the proxy's, so pebble names its own URLs (and account URLs) at the proxy: the whole
// conversation goes through it, as it would through a CA's load balancer.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient } from '../../../container/acme/client.js';
import { fetchDirectory } from '../../../container/acme/directory.js';
import { caError } from '../../../container/acme/errors.js';
import { AcmeProblem } from '../../../container/acme/problem.js';
import { configureCaConnections } from '../../../container/acme/tls.js';
import { rateLimitRetryAfter } from '../../../lib/core/index.js';
import { startLocalStack, type LocalStack } from '../../support/local-stack.js';
import { startPebbleProxy, type PebbleProxy } from '../../support/pebble-proxy.js';

let stack: LocalStack;
let proxy: PebbleProxy;
let client: AcmeClient;
/** What the proxy answers the next newOrder requests with instead of passing them on. */
const refusals: { status: number; type: string; retryAfter: string }[] = [];
let newOrders = 0;
let newOrderPath = '';

beforeAll(async () => {
  // No nonce rejection here (conformance.test.ts has it): every newOrder the proxy counts is one the client sent for a reason.
  stack = await startLocalStack({ name: 'refusals', pebbleEnv: { PEBBLE_STRICT: 'true' } });
  proxy = await startPebbleProxy(stack, {
    host: 'proxy',
    intercept: (request, response) => {
      const isNewOrder = request.method === 'POST' && request.url === newOrderPath;
      if (isNewOrder) newOrders += 1;
      const refusal = isNewOrder ? refusals.shift() : undefined;
      if (refusal === undefined) return false;
      request.resume();
      response.writeHead(refusal.status, { 'content-type': 'application/problem+json', 'retry-after': refusal.retryAfter });
      response.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${refusal.type}`, detail: `refused by the test's CA (${refusal.status})`, status: refusal.status }));
      return true;
    },
  });
  configureCaConnections(proxy.trustFile);
  const directory = await fetchDirectory(proxy.directoryUrl);
  newOrderPath = new URL(String(directory.resource.newOrder)).pathname;
  client = new AcmeClient({ directory, accountKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
  await client.createAccount([]);
});
afterAll(async () => {
  proxy?.close();
  await stack?.stop();
});

describe('a CA under load', () => {
  it('is asked again after the Retry-After of a 503, and the order is made', async () => {
    newOrders = 0;
    refusals.push({ status: 503, type: 'serverInternal', retryAfter: '1' });
    const started = Date.now();
    const order = await client.newOrder({ domains: ['busy.example.com'] });
    expect(order.body.status).toBe('pending');
    expect(newOrders).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('answers a rate limit at once as rateLimited, with the time to try again that the renewal record keeps', async () => {
    newOrders = 0;
    refusals.push({ status: 429, type: 'rateLimited', retryAfter: '3600' });
    const before = Date.now();
    const error = await client.newOrder({ domains: ['limited.example.com'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcmeProblem);
    const problem = error as AcmeProblem;
    expect(newOrders).toBe(1);
    expect(problem.kind).toBe('rateLimited');
    expect(problem.retryAfter!.getTime()).toBeGreaterThanOrEqual(before + 3_599_000);
    const reported = caError('creating the order', problem);
    expect(reported.hint).toMatch(/rate limit/);
    expect(rateLimitRetryAfter(reported.message, new Date())).toEqual(problem.retryAfter);
  });
});
