// Responder hardening with generated inputs: thousands of ALB events through the real
// baseHandler (in process, reading moto S3), and a few hundred requests over real HTTP through
// the local ALB adapter with raw sockets (fetch would normalize `/../`, `%00`, raw bytes and bad
// HTTP away). Every answer is checked against an oracle written here from the design, not from
// the handler: 200 with exactly token.thumbprint, 404, 405 or 503, nothing else, never a crash.
import { execFile } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albEvent } from '../support/alb-events.js';
import { clientsFor } from '../support/aws.js';
import { eventOf, repoRoot, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

const execFileAsync = promisify(execFile);

const SUITE = 'responder-fuzz';
const PREFIX = '/.well-known/acme-challenge/';
/** RFC 8555 §8.1 tokens as the design states them: base64url, at least 128 bits, bounded. */
const TOKEN = /^[A-Za-z0-9_-]{22,256}$/;
const BODIES = { 404: 'Not Found\n', 405: 'Method Not Allowed\n', 503: 'Service Unavailable\n' } as const;
const HEADER_VALUES: Record<string, readonly string[]> = {
  'content-type': ['text/plain; charset=utf-8'],
  'cache-control': ['no-store'],
  'x-content-type-options': ['nosniff'],
  allow: ['GET, HEAD'],
  'retry-after': ['5'],
};
/** Override with FUZZ_RUNS to go deeper locally; the default keeps the file well under a minute. */
const SCALE = Number(process.env.FUZZ_RUNS ?? '1');
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

let stack: LocalStack;
let responder: typeof import('../../lambdas/challenge/handler.js');
let thumbprint: string;
/** Strings that must never appear in an answer: the JWK's members and the private key's body. */
let secrets: string[];

beforeAll(async () => {
  stack = await startLocalStack({ name: 'fuzz' });
  Object.assign(process.env, { ...stack.env, JWK_REFRESH_SECONDS: '300' });
  responder = await import('../../lambdas/challenge/handler.js');
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
  thumbprint = String(eventOf(registered, 'registered').thumbprint);
  const aws = clientsFor(stack);
  const jwk = JSON.parse((await aws.read('account/jwk.json'))!) as Record<string, string>;
  const pem = (await aws.read('account/key.pem'))!;
  secrets = [jwk.x!, jwk.y!, ...pem.split('\n').filter((line) => line.length >= 32 && !line.startsWith('-----')), 'PRIVATE KEY', '"kty"'];
});
afterAll(async () => stack?.stop());

// ---------------------------------------------------------------- the oracle

type Expected = { status: 200; token: string } | { status: 404 | 405 | 503 };

function expectedFor(method: string, path: string, available = true): Expected {
  if (!path.startsWith(PREFIX)) return { status: 404 };
  if (method !== 'GET' && method !== 'HEAD') return { status: 405 };
  const token = path.slice(PREFIX.length);
  if (!TOKEN.test(token)) return { status: 404 };
  return available ? { status: 200, token } : { status: 503 };
}

/** Throws (with the case) unless the handler's result is exactly what the oracle says. */
function check(event: ALBEvent, result: ALBResult, available = true): void {
  const expected = expectedFor(event.httpMethod, event.path, available);
  const where = `${event.httpMethod} ${JSON.stringify(event.path.slice(0, 120))}`;
  if (result.statusCode !== expected.status) throw new Error(`${where}: status ${result.statusCode}, expected ${expected.status}`);
  if (!result.statusDescription?.startsWith(`${expected.status} `)) throw new Error(`${where}: statusDescription ${result.statusDescription}`);
  if (result.isBase64Encoded !== false) throw new Error(`${where}: isBase64Encoded`);
  const body = expected.status === 200 ? `${expected.token}.${thumbprint}` : BODIES[expected.status];
  const wanted = event.httpMethod === 'HEAD' ? '' : body;
  if (result.body !== wanted) throw new Error(`${where}: body ${JSON.stringify(result.body?.slice(0, 200))}, expected ${JSON.stringify(wanted.slice(0, 200))}`);
  const multi = event.multiValueHeaders !== undefined;
  if (multi ? result.headers !== undefined : result.multiValueHeaders !== undefined) throw new Error(`${where}: headers in the wrong form`);
  const headers = multi
    ? Object.entries(result.multiValueHeaders ?? {}).map(([name, values]) => [name, values.length === 1 ? String(values[0]) : `×${values.length}`] as const)
    : Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)] as const);
  for (const [name, value] of headers) {
    if (!HEADER_VALUES[name]?.includes(value)) throw new Error(`${where}: unexpected header ${name}: ${value}`);
  }
  noSecrets(where, `${result.body ?? ''}${JSON.stringify(headers)}`);
}

function noSecrets(where: string, text: string): void {
  for (const secret of secrets) if (text.includes(secret)) throw new Error(`${where}: answer contains key material (${secret.slice(0, 12)}…)`);
  if (/\n\s+at |Error:|IssuerError|ERR_/.test(text)) throw new Error(`${where}: answer contains an error or stack trace`);
}

// ---------------------------------------------------------------- generators

const base64urlChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const validToken = fc.string({ unit: base64urlChar, minLength: 22, maxLength: 256 });
/** Pieces that break a token or a path: traversal, encodings, NUL, separators, unicode. */
const nasty = fc.constantFrom(
  '..',
  '../',
  '..%2F',
  '%2e%2e%2f',
  '%2E%2E/',
  '..\\',
  '%5c',
  '/',
  '//',
  '%2F',
  '%00',
  '\u0000',
  '\u0000.pem',
  '%0d%0a',
  '\r\n',
  '\t',
  ' ',
  '%20',
  '=',
  '==',
  '+',
  '.',
  '?',
  '#',
  ';',
  '%',
  '%zz',
  '%%',
  '~',
  '*',
  '\u00e9',
  '\u200b',
  '\ufeff',
  '\ud83d\ude00',
  '\ud800',
  '\uffff',
  'ａ',
  '\u0130',
  'account/key.pem',
  '../../account/key.pem',
  'account%2Fjwk.json',
  'jwk.json',
  'A'.repeat(300),
);
const mangledToken = fc
  .tuple(validToken, fc.array(fc.tuple(fc.nat(), nasty), { minLength: 1, maxLength: 4 }))
  .map(([token, inserts]) => inserts.reduce((t, [at, piece]) => t.slice(0, at % (t.length + 1)) + piece + t.slice(at % (t.length + 1)), token));
const anyUnicode = fc.string({ unit: 'binary', maxLength: 300 });
const oversized = fc.integer({ min: 257, max: 20_000 }).chain((n) => fc.constantFrom('A', '-', '_', 'z9').map((c) => c.repeat(Math.ceil(n / c.length)).slice(0, n)));
const tooShort = fc.string({ unit: base64urlChar, maxLength: 21 });
/** Exactly at and around both length limits: fast-check's sizes rarely land on them by chance. */
const boundaryToken = fc.constantFrom(0, 1, 21, 22, 23, 255, 256, 257).chain((n) => fc.string({ unit: base64urlChar, minLength: n, maxLength: n }));
const lookalikePrefix = fc.constantFrom(
  '/.well-known/acme-challenge',
  '/.WELL-KNOWN/ACME-CHALLENGE/',
  '//.well-known/acme-challenge/',
  '/.well-known//acme-challenge/',
  '/./.well-known/acme-challenge/',
  '/foo/../.well-known/acme-challenge/',
  '/.well-known/acme-challenge/../',
  '/.well-known/acme-challenge/./',
  '/.well-known/acme-challenge//',
  '/%2ewell-known/acme-challenge/',
  '.well-known/acme-challenge/',
  '/.well-known/acme-challenge%2F',
  '/.well-known/acme-challengE/',
  '/\u0000/.well-known/acme-challenge/',
  '',
);
const path = fc.oneof(
  { weight: 3, arbitrary: validToken.map((t) => PREFIX + t) },
  { weight: 3, arbitrary: mangledToken.map((t) => PREFIX + t) },
  { weight: 2, arbitrary: anyUnicode.map((t) => PREFIX + t) },
  { weight: 1, arbitrary: oversized.map((t) => PREFIX + t) },
  { weight: 1, arbitrary: tooShort.map((t) => PREFIX + t) },
  { weight: 2, arbitrary: boundaryToken.map((t) => PREFIX + t) },
  { weight: 2, arbitrary: fc.tuple(lookalikePrefix, validToken).map(([p, t]) => p + t) },
  { weight: 2, arbitrary: anyUnicode.map((s) => `/${s}`) },
  { weight: 1, arbitrary: anyUnicode },
);
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'HEAD') },
  { weight: 3, arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'head', 'Get', '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);
const headerName = fc.oneof(fc.constantFrom('host', 'accept', 'range', 'if-none-match', 'authorization', 'cookie', 'x-forwarded-for', 'content-type', 'transfer-encoding'), fc.string({ maxLength: 30 }));
const headerValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 0, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 8 });
const query = fc.option(fc.dictionary(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 200 }), { maxKeys: 6 }), { nil: undefined });
const body = fc.record({ body: fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 2000 }), fc.base64String({ maxLength: 2000 })), isBase64Encoded: fc.boolean() });

const event = fc.record({ method, path, headers, query, body, multi: fc.boolean() }).map(({ method, path, headers, query, body, multi }): ALBEvent => {
  const single = albEvent(method, path, { headers: { ...albEvent('GET', '/').headers, ...headers }, queryStringParameters: query, ...body });
  if (!multi) return single;
  const { headers: h, queryStringParameters: q, ...rest } = single;
  return {
    ...rest,
    multiValueHeaders: Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, [v ?? '', v ?? '']])),
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(q ?? {}).map(([k, v]) => [k, [v ?? '']])),
  };
});

/** Runs a property, records tried/survived for the report, rethrows a counterexample. */
async function fuzz<T>(cls: string, arbitrary: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => Promise<void>): Promise<number> {
  let tried = 0;
  let failed = false;
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        tried++;
        await predicate(value);
      }),
      { numRuns, endOnFailure: true, ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }) },
    );
  } catch (error) {
    failed = true;
    // a counterexample with 20 kB headers would bury the reason: keep the seed, the case's start and the cause
    const text = error instanceof Error ? error.message : String(error);
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
    throw new Error(`${text.length > 3000 ? `${text.slice(0, 3000)}… (${text.length} characters)` : text}\n${cause}`);
  } finally {
    recordReliability({ suite: SUITE, kind: 'input', class: cls, tried, survived: failed ? tried - 1 : tried, objectsLost: 0 });
  }
  return tried;
}

const call = async (e: ALBEvent, available = true) => check(e, await responder.baseHandler(e), available);

// ---------------------------------------------------------------- in process: baseHandler

describe('baseHandler with generated ALB events', () => {
  it('answers any method, path, header, query and body with 200 (exact key authorization), 404 or 405, never a crash', async () => {
    const tried = await fuzz('in process: any event (method, path, headers, query, body, multi-value)', event, runs(5000), (e) => call(e));
    expect(tried).toBe(runs(5000));
  });

  it('answers every well-formed token with exactly token.thumbprint, for GET and HEAD', async () => {
    await fuzz('in process: well-formed tokens', fc.tuple(fc.constantFrom('GET', 'HEAD'), validToken), runs(1500), ([m, t]) => call(albEvent(m, PREFIX + t)));
  });

  it('answers 404 to traversal, encoded, NUL, unicode and mangled tokens', async () => {
    const arbitrary = fc.oneof(
      mangledToken,
      anyUnicode,
      fc.array(nasty, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
    );
    await fuzz('in process: traversal, encoded, NUL and unicode tokens', arbitrary, runs(2000), async (t) => {
      const e = albEvent('GET', PREFIX + t);
      const result = await responder.baseHandler(e);
      check(e, result);
      // the oracle may allow 200 only when the mangling happened to leave a valid token
      if (!TOKEN.test(t)) expect(result.statusCode).toBe(404);
    });
  });

  it('answers 404 to oversized and too short tokens, and 200 right at both limits', async () => {
    await fuzz('in process: token lengths at, under and over the limits', fc.oneof(oversized, tooShort, boundaryToken), runs(500), async (t) => {
      const e = albEvent('GET', PREFIX + t);
      const result = await responder.baseHandler(e);
      check(e, result);
      expect(result.statusCode).toBe(t.length >= 22 && t.length <= 256 ? 200 : 404);
    });
  });

  it('answers 503 (and only that, with Retry-After) to well-formed tokens while S3 cannot be reached, logging why without the token', async () => {
    // A real fault without losing moto's state: the endpoint becomes a loopback port nobody listens on.
    const endpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${await closedPort()}`;
    responder.resetResponderForTests();
    try {
      await fuzz('in process: S3 unreachable, nothing cached', event, runs(300), async (e) => {
        const result = await responder.baseHandler(e);
        check(e, result, false);
        if (result.statusCode === 503) expect(result.headers?.['retry-after'] ?? result.multiValueHeaders?.['retry-after']?.[0]).toBe('5');
      });
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
      responder.resetResponderForTests();
    }
    // What the handler logs, read from a real process's stderr (as CloudWatch would receive it).
    const logged = await handlerStderr({ ...stack.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}` }, [`${PREFIX}${'B'.repeat(43)}`, `${PREFIX}${'C'.repeat(60)}`]);
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) {
      expect(JSON.parse(line)).toMatchObject({ level: 'ERROR', code: 'ERR_STORAGE_UNAVAILABLE' });
      expect(line).not.toContain(PREFIX);
      expect(line).not.toContain('BBBBBBBBBB');
    }
    const token = 'A'.repeat(43);
    expect((await responder.baseHandler(albEvent('GET', PREFIX + token))).body).toBe(`${token}.${thumbprint}`);
  });
});

/** Runs the real handler in a child process for a few GET paths and returns its stderr lines that are JSON. */
async function handlerStderr(env: Record<string, string>, paths: readonly string[]): Promise<string[]> {
  const script = `import { baseHandler } from './lambdas/challenge/handler.ts';
for (const path of ${JSON.stringify(paths)}) await baseHandler({ requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/b' } }, httpMethod: 'GET', path, queryStringParameters: {}, headers: {}, body: '', isBase64Encoded: false });`;
  const { stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env: { ...env, JWK_REFRESH_SECONDS: '0' } });
  return stderr.split('\n').filter((line) => line.startsWith('{'));
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- over HTTP: the local ALB adapter

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One request as raw bytes on a fresh connection; resolves with what came back (status 0: nothing). */
function raw(request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(stack.httpPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks).toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      const head = end === -1 ? data : data.slice(0, end);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: end === -1 ? '' : data.slice(end + 4) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.write(request);
  });
}

const rawGet = (method: string, target: Buffer, extra = ''): Buffer =>
  Buffer.concat([Buffer.from(`${method} `, 'latin1'), target, Buffer.from(` HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: fuzz\r\n${extra}Connection: close\r\n\r\n`, 'latin1')]);

/** Over HTTP: one of the responder's four answers, as the oracle says, or an HTTP-level refusal before the handler. */
function checkHttp(m: string, target: Buffer, response: RawResponse, refusals: readonly number[]): void {
  const where = `${m} ${JSON.stringify(target.toString('latin1').slice(0, 120))}`;
  if (refusals.includes(response.status)) {
    noSecrets(where, response.body);
    return;
  }
  // The adapter hands Node's request.url (bytes read as latin1) to the handler, as ALB passes the raw path.
  const url = target.toString('latin1');
  const q = url.indexOf('?');
  const expected = expectedFor(m, q === -1 ? url : url.slice(0, q));
  if (response.status !== expected.status) throw new Error(`${where}: HTTP ${response.status}, expected ${expected.status}`);
  const bodyWanted = m === 'HEAD' ? '' : expected.status === 200 ? `${expected.token}.${thumbprint}` : BODIES[expected.status];
  if (response.body !== bodyWanted) throw new Error(`${where}: body ${JSON.stringify(response.body.slice(0, 200))}`);
  if (expected.status === 200 && response.headers['content-type'] !== 'text/plain; charset=utf-8') throw new Error(`${where}: content-type ${response.headers['content-type']}`);
  noSecrets(where, response.body);
}

/** Bytes that fetch would never send: traversal kept as is, raw NUL and high bytes, CR/LF, huge runs. */
const rawPiece = fc.oneof(
  base64urlChar.map((c) => Buffer.from(c)),
  fc.constantFrom('..', '/', '//', '%2e%2e', '%2F', '%00', '%', '%zz', '?', '?a=b&c', '#frag', ';x=y', '\\', '~', '=', '*', '@', ':', '%C3%A9').map((s) => Buffer.from(s)),
  fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xc3, 0xa9, 0xff, 0x09, 0x0b, 0x0c).map((b) => Buffer.from([b])),
  fc.constantFrom('é', '€', '😀', 'ａ').map((s) => Buffer.from(s, 'utf8')),
);
const rawTarget = fc.oneof(
  { weight: 2, arbitrary: validToken.map((t) => Buffer.from(PREFIX + t)) },
  {
    weight: 4,
    arbitrary: fc.tuple(validToken, fc.array(rawPiece, { minLength: 1, maxLength: 8 }), fc.nat()).map(([t, pieces, at]) => {
      const tail = Buffer.concat([Buffer.from(t), ...pieces]);
      const cut = at % (tail.length + 1);
      return Buffer.concat([Buffer.from(PREFIX), tail.subarray(cut), tail.subarray(0, cut)]);
    }),
  },
  { weight: 2, arbitrary: fc.array(rawPiece, { maxLength: 12 }).map((pieces) => Buffer.concat([Buffer.from('/'), ...pieces])) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        lookalikePrefix.filter((p) => !p.includes('\u0000')),
        validToken,
      )
      .map(([p, t]) => Buffer.from(p.startsWith('/') ? p + t : `/${p}${t}`)),
  },
);

describe('the local ALB adapter over raw HTTP', () => {
  it('answers generated raw paths (traversal, %00, NUL and high bytes, unicode) as the oracle says; the parser may refuse bad bytes with 400', async () => {
    const statuses = new Map<number, number>();
    await fuzz('over HTTP: generated raw paths and bytes', fc.tuple(fc.constantFrom('GET', 'HEAD', 'GET', 'POST', 'OPTIONS', 'DELETE'), rawTarget), runs(300), async ([m, target]) => {
      const response = await raw(rawGet(m, target));
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      checkHttp(m, target, response, [400]);
    });
    // the generator must reach the handler's every answer, or the property proves little
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 404, 405]));
  });

  it('answers 200 with the exact key authorization to well-formed tokens with any query string', async () => {
    const q = fc.array(fc.constantFrom('a=b', 'token=../../account/key.pem', '%00', 'x', '=', '&', 'jwk=1', '%E2%82%AC'), { maxLength: 5 }).map((p) => p.join('&'));
    await fuzz('over HTTP: well-formed tokens with a query', fc.tuple(fc.constantFrom('GET', 'HEAD'), validToken, q), runs(100), async ([m, t, query]) => {
      const target = Buffer.from(`${PREFIX}${t}${query === '' ? '' : `?${query}`}`);
      const response = await raw(rawGet(m, target));
      expect(response.status).toBe(200);
      checkHttp(m, target, response, []);
    });
  });

  it('refuses malformed HTTP before the handler and keeps serving', async () => {
    const token = 'B'.repeat(43);
    const malformed: [string, Buffer | string, readonly number[]][] = [
      ['garbage', 'GARBAGE\r\n\r\n', [400]],
      // Node's parser takes a request line without a version as HTTP/0.9 and hands it on; ALB refuses it.
      ['no HTTP version', `GET ${PREFIX}${token}\r\n\r\n`, [200, 400]],
      ['HTTP/1.1 without Host', `GET ${PREFIX}${token} HTTP/1.1\r\nConnection: close\r\n\r\n`, [400]],
      ['header without colon', `GET ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nbroken header\r\n\r\n`, [400]],
      ['space in the target', `GET ${PREFIX}${token} x HTTP/1.1\r\nHost: a\r\n\r\n`, [400]],
      ['NUL in a header', `GET ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nX: a\u0000b\r\nConnection: close\r\n\r\n`, [400]],
      ['bare LF line endings', `GET ${PREFIX}${token} HTTP/1.1\nHost: a\nConnection: close\n\n`, [400]],
      ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400]],
      // a request line without a version: node's parser waits for more (its headers timeout ends it);
      // ALB refuses the malformed line at once
      ['unfinished request line', `GET ${PREFIX}${token}\r\n`, [0, 400]],
      ['both Content-Length and chunked', `POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`, [400]],
      ['bad chunk size', `POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, [400]],
      ['negative Content-Length', `POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`, [400]],
      ['two Content-Lengths', `POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab`, [400]],
      ['request smuggling (CL.TE)', `POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, [400]],
      // nothing is tunnelled anywhere: CONNECT is refused with 400, as ELB does
      ['CONNECT authority form', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nConnection: close\r\n\r\n', [400]],
      ['a second Host', `GET ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n`, [400]],
      // the adapter's body read fails when the client goes away; it must not take the server down
      ['truncated body, client gone', `POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc`, [0]],
      ['OPTIONS asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', [404]],
      ['absolute form', `GET http://evil.example${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, [404]],
    ];
    let survived = 0;
    try {
      for (const [label, request, allowed] of malformed) {
        const response = await raw(request, 3000);
        if (process.env.FUZZ_VERBOSE) console.info(label, response.status);
        expect(allowed, `${label}: HTTP ${response.status}`).toContain(response.status);
        noSecrets(label, response.body);
        survived++;
      }
      const alive = await raw(rawGet('GET', Buffer.from(PREFIX + token)));
      expect(alive).toMatchObject({ status: 200, body: `${token}.${thumbprint}` });
    } finally {
      recordReliability({ suite: SUITE, kind: 'input', class: 'over HTTP: malformed requests', tried: malformed.length, survived, objectsLost: 0 });
    }
  });

  it('answers absurd lengths (path, headers, body) with a refusal or 404, never a 5xx, and keeps serving', async () => {
    const token = 'C'.repeat(43);
    const cases: [string, Buffer, readonly number[]][] = [
      ['a 10 kB token', rawGet('GET', Buffer.from(PREFIX + 'A'.repeat(10_000))), [404]],
      ['a 100 kB path', rawGet('GET', Buffer.from(`/${'a/'.repeat(50_000)}`)), [404, 414, 431]],
      ['a 1 MB path', rawGet('GET', Buffer.from(PREFIX + 'A'.repeat(1 << 20))), [414, 431]],
      ['a 64 kB header', rawGet('GET', Buffer.from(PREFIX + token), `X-Big: ${'x'.repeat(65_536)}\r\n`), [431]],
      ['10,000 headers', rawGet('GET', Buffer.from(PREFIX + token), Array.from({ length: 10_000 }, (_, i) => `X-${i}: y\r\n`).join('')), [431]],
      ['a 2 MB body', Buffer.concat([Buffer.from(`POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: ${2 << 20}\r\nConnection: close\r\n\r\n`), Buffer.alloc(2 << 20, 0x41)]), [413]],
      [
        'a 2 MB chunked body',
        Buffer.concat([
          Buffer.from(`POST ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`),
          ...Array.from({ length: 32 }, () => Buffer.from(`10000\r\n${'B'.repeat(0x10000)}\r\n`)),
          Buffer.from('0\r\n\r\n'),
        ]),
        [413],
      ],
      ['a 900 kB GET body', Buffer.concat([Buffer.from(`GET ${PREFIX}${token} HTTP/1.1\r\nHost: a\r\nContent-Length: ${900 << 10}\r\nConnection: close\r\n\r\n`), Buffer.alloc(900 << 10, 0x00)]), [200]],
    ];
    let survived = 0;
    try {
      for (const [label, request, allowed] of cases) {
        const response = await raw(request, 20_000);
        if (process.env.FUZZ_VERBOSE) console.info(label, response.status);
        expect(allowed, `${label}: HTTP ${response.status}`).toContain(response.status);
        if (response.status === 200) expect(response.body).toBe(`${token}.${thumbprint}`);
        noSecrets(label, response.body);
        survived++;
      }
      const alive = await raw(rawGet('HEAD', Buffer.from(PREFIX + token)));
      expect(alive).toMatchObject({ status: 200, body: '' });
    } finally {
      recordReliability({ suite: SUITE, kind: 'input', class: 'over HTTP: absurd lengths', tried: cases.length, survived, objectsLost: 0 });
    }
  });
});
