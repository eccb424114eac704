// The responder: real ALB events through baseHandler (in process, reading moto S3), and real HTTP
// through the local ALB adapter (as pebble reaches it). No stand-ins: the account is registered
// by the real CLI, and S3 faults are made by stopping moto.
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint, parsePublicJwk } from '../../lib/core/index.js';
import { clientsFor } from '../support/aws.js';
import { albEvent, albMultiValueEvent, randomToken } from '../support/alb-events.js';
import { eventOf, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let responder: typeof import('../../lambdas/challenge/handler.js');
let thumbprint: string;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'responder' });
  // The handler reads its configuration from the environment on first use, as in Lambda, and
  // its credentials: the responder role's, as Lambda gives them to the function.
  Object.assign(process.env, { ...stack.env, ...stack.iam?.responderEnv, JWK_REFRESH_SECONDS: '0' });
  responder = await import('../../lambdas/challenge/handler.js');
});
afterAll(async () => stack?.stop());

describe('before an account exists', () => {
  it('answers 503 with Retry-After when account/jwk.json cannot be read and nothing is cached', async () => {
    const result = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${randomToken()}`));
    expect(result).toMatchObject({ statusCode: 503, statusDescription: '503 Service Unavailable', isBase64Encoded: false });
    expect(result.headers).toMatchObject({ 'retry-after': '5' });
  });
});

describe('with a bad configuration', () => {
  it('answers 503 and logs which variable is wrong, instead of failing the function (ALB would answer a bare 502)', async () => {
    const bucket = process.env.CERT_BUCKET;
    const logged: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (line: string) => logged.push(line) > 0;
    process.env.CERT_BUCKET = 'Not_A_Bucket';
    responder.resetResponderForTests();
    try {
      const result = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${randomToken()}`));
      expect(result).toMatchObject({ statusCode: 503, headers: { 'retry-after': '5' } });
    } finally {
      process.stderr.write = write;
      process.env.CERT_BUCKET = bucket;
      responder.resetResponderForTests();
    }
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: 'ERROR', message: 'answering 503: account public JWK unavailable' });
    expect(logged[0]).toContain('CERT_BUCKET');
  });
});

describe('with a registered account', () => {
  beforeAll(async () => {
    const registered = await runCli(stack, ['register']);
    expect(registered.code, registered.stderr).toBe(0);
    thumbprint = String(eventOf(registered, 'registered').thumbprint);
  });

  it('answers GET with token.thumbprint as text/plain', async () => {
    const token = randomToken();
    const result = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`));
    expect(result).toEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      isBase64Encoded: false,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      body: `${token}.${thumbprint}`,
    });
  });

  it('computes the same thumbprint as jose does from the stored public JWK', async () => {
    const jwk = parsePublicJwk((await clientsFor(stack).read('account/jwk.json'))!);
    expect(await jwkThumbprint(jwk)).toBe(thumbprint);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const result = await responder.baseHandler(albEvent('HEAD', `/.well-known/acme-challenge/${randomToken()}`));
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
    expect(result.headers?.['content-type']).toBe('text/plain; charset=utf-8');
  });

  it.each([
    ['a token with a slash', '/.well-known/acme-challenge/abc/defghijklmnopqrstuvwxyz'],
    ['a short token', '/.well-known/acme-challenge/abc'],
    ['a padded token', `/.well-known/acme-challenge/${randomToken()}=`],
    ['an encoded traversal', '/.well-known/acme-challenge/..%2F..%2Faccount%2Fkey.pem'],
    ['the bare prefix', '/.well-known/acme-challenge/'],
    ['another path', '/index.html'],
    ['the root', '/'],
  ])('answers 404 to %s', async (_label, path) => {
    const result = await responder.baseHandler(albEvent('GET', path));
    expect(result.statusCode).toBe(404);
    expect(result.body).not.toContain(thumbprint);
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('answers %s with 405 and Allow', async (method) => {
    const result = await responder.baseHandler(albEvent(method, `/.well-known/acme-challenge/${randomToken()}`));
    expect(result).toMatchObject({ statusCode: 405, statusDescription: '405 Method Not Allowed' });
    expect(result.headers?.allow).toBe('GET, HEAD');
  });

  it('answers in multiValueHeaders when the target group sends multi-value headers', async () => {
    const result = await responder.baseHandler(albMultiValueEvent('GET', `/.well-known/acme-challenge/${randomToken()}`));
    expect(result.headers).toBeUndefined();
    expect(result.multiValueHeaders?.['content-type']).toEqual(['text/plain; charset=utf-8']);
  });

  it('answers through the local ALB adapter exactly as pebble sees it', async () => {
    const token = randomToken();
    const base = `http://127.0.0.1:${stack.httpPort}`;
    const get = await fetch(`${base}/.well-known/acme-challenge/${token}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await get.text()).toBe(`${token}.${thumbprint}`);
    const head = await fetch(`${base}/.well-known/acme-challenge/${token}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/.well-known/acme-challenge/not-a-token`)).status).toBe(404);
    expect((await fetch(`${base}/anything-else`)).status).toBe(404);
    const post = await fetch(`${base}/.well-known/acme-challenge/${token}`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });

  it('picks up a new account key after the refresh interval', async () => {
    const other = { kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM' };
    const aws = clientsFor(stack);
    const original = (await aws.read('account/jwk.json'))!;
    await aws.write('account/jwk.json', JSON.stringify(other));
    try {
      const token = randomToken();
      const result = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`));
      expect(result.body).toBe(`${token}.${await jwkThumbprint(other)}`);
    } finally {
      await aws.write('account/jwk.json', original);
    }
    const token = randomToken();
    expect((await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`))).body).toBe(`${token}.${thumbprint}`);
  });

  it('during a rollover answers with the current key until nextFrom, then with the next one, never both', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const next = await exportJWK(publicKey);
    const aws = clientsFor(stack);
    const original = (await aws.read('account/jwk.json'))!;
    const nextFrom = new Date(Date.now() + 1500);
    await aws.write('account/jwk.json', JSON.stringify({ ...(JSON.parse(original) as object), next, nextFrom: nextFrom.toISOString() }));
    try {
      const token = randomToken();
      const before = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`));
      expect(before).toMatchObject({ statusCode: 200, body: `${token}.${thumbprint}` });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextFrom.getTime() - Date.now()) + 50));
      const after = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`));
      expect(after).toMatchObject({ statusCode: 200, body: `${token}.${await jwkThumbprint(next)}` });
    } finally {
      await aws.write('account/jwk.json', original);
    }
    // read again (JWK_REFRESH_SECONDS=0): the plain JWK is the one key, and the cache holds it for the next test
    const token = randomToken();
    expect((await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`))).body).toBe(`${token}.${thumbprint}`);
  });

  it('keeps answering from its cache while S3 is down, and 503 once nothing is cached', async () => {
    await stack.service('stop', 'moto');
    try {
      const token = randomToken();
      const cached = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${token}`));
      expect(cached).toMatchObject({ statusCode: 200, body: `${token}.${thumbprint}` });

      responder.resetResponderForTests();
      const cold = await responder.baseHandler(albEvent('GET', `/.well-known/acme-challenge/${randomToken()}`));
      expect(cold.statusCode).toBe(503);
      expect(cold.body).not.toMatch(/Error|at |\n\s+at/);
    } finally {
      await stack.service('start', 'moto');
    }
  });
});
