// The local ALB adapter (scripts/local/alb-adapter.ts) as a real process on node:http, in front
// of a real function under the real Lambda runtime (emulator, aws-lambda-ric, Node 24) behind the
// Invoke API: the function echoes the event it was given, or answers the result the request
// carries, or throws. So both sides of ALB's contract are read from the outside: the event the
// adapter builds from raw bytes, and the HTTP it makes of any result, 502 included.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInvokeApi, type InvokeApiServer } from '../../scripts/local/lambda-invoke-api.js';
import { startLambdaFunction, type LambdaFunction } from '../../scripts/local/lambda-runtime.js';
import { freePort, repoRoot } from '../support/local-stack.js';

const FUNCTION = `export const handler = async (event) => {
  if (event.path === '/echo') return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
  if (event.path === '/result') return JSON.parse(Buffer.from(event.body, 'base64').toString('utf8'));
  throw new Error('this function fails on ' + event.path);
};
`;

const codeDir = mkdtempSync(join(tmpdir(), 'alb-adapter-fn-'));
const lines: string[] = [];
let lambda: LambdaFunction;
let invokeApi: InvokeApiServer;
let adapter: ChildProcess;
let adapterLog = '';
let port: number;

beforeAll(async () => {
  writeFileSync(join(codeDir, 'index.mjs'), FUNCTION);
  lambda = await startLambdaFunction({ codeDir, handler: 'index.handler', functionName: 'alb-adapter-test', maxEnvironments: 2, output: (line) => void lines.push(line) });
  invokeApi = await serveInvokeApi(lambda, { host: '127.0.0.1', port: await freePort() });
  port = await freePort();
  adapter = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/alb-adapter.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, RESPONDER_RUNTIME: 'lambda', PEBBLE_HTTP_PORT: String(port), RESPONDER_INVOKE_PORT: String(invokeApi.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  adapter.stdout!.on('data', (chunk: Buffer) => (adapterLog += chunk.toString()));
  adapter.stderr!.on('data', (chunk: Buffer) => (adapterLog += chunk.toString()));
  for (let i = 0; i < 200 && !adapterLog.includes('local ALB adapter on'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(adapterLog).toContain(`local ALB adapter on http://127.0.0.1:${port}`);
}, 60_000);
afterAll(async () => {
  adapter?.kill('SIGTERM');
  await invokeApi?.close();
  await lambda?.stop();
  rmSync(codeDir, { recursive: true, force: true });
});

interface RawResponse {
  readonly statusLine: string;
  readonly headers: [string, string][];
  readonly body: Buffer;
}

/** One request as raw bytes on a fresh connection, read until the adapter closes it. */
function raw(request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      const [statusLine = '', ...rest] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = rest.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as [string, string]);
      resolve({ statusLine, headers, body: data.subarray(end + 4) });
    });
    // write, not end: node's server drops a connection whose client half-closes before the answer
    socket.write(request);
  });
}

const header = (response: RawResponse, name: string) => response.headers.filter(([n]) => n === name).map(([, v]) => v);
const invocations = () => lines.filter((line) => line.startsWith('START RequestId:')).length;
/** A request whose function answers `result`, exactly as given. */
const answering = (result: unknown) => {
  const body = JSON.stringify(result);
  return `POST /result HTTP/1.1\r\nHost: a\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
};

describe('the event the adapter builds, as ALB builds it (multi-value headers off)', () => {
  it('passes the raw path and query (still percent-encoded, last value wins), headers lower-cased with the last value kept, and the X-Forwarded-* ALB adds', async () => {
    const response = await raw('GET /echo?a=1&a=2&b=%2F&c&&d= HTTP/1.1\r\nHost: www.example.com\r\nX-Dup: one\r\nMixed-Case: v\r\nx-dup: two\r\nConnection: close\r\n\r\n');
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(response.body.toString())).toEqual({
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local-acme/0000000000000000' } },
      httpMethod: 'GET',
      path: '/echo',
      queryStringParameters: { a: '2', b: '%2F', c: '', d: '' },
      headers: { host: 'www.example.com', 'x-dup': 'two', 'mixed-case': 'v', connection: 'close', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-port': String(port) },
      body: '',
      isBase64Encoded: true,
    });
  });

  it('hands a body over base64-encoded, whether sent with a length or chunked', async () => {
    const sized = await raw('POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhe\x00lo');
    expect(JSON.parse(sized.body.toString())).toMatchObject({ httpMethod: 'POST', body: Buffer.from('he\x00lo').toString('base64'), isBase64Encoded: true });
    const chunked = await raw('PUT /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    expect(JSON.parse(chunked.body.toString())).toMatchObject({ httpMethod: 'PUT', body: Buffer.from('abcde').toString('base64') });
  });

  it('answers 413 to a body over 1 MB without invoking the function, and hands on one of exactly 1 MB', async () => {
    const before = invocations();
    const over = await raw(Buffer.concat([Buffer.from(`POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${(1 << 20) + 1}\r\nConnection: close\r\n\r\n`), Buffer.alloc((1 << 20) + 1, 0x41)]));
    expect(over.statusLine).toMatch(/^HTTP\/1\.1 413 /);
    const overChunked = await raw(`POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n100001\r\n${'B'.repeat(0x100001)}\r\n0\r\n\r\n`);
    expect(overChunked.statusLine).toMatch(/^HTTP\/1\.1 413 /);
    expect(invocations()).toBe(before);
    const exact = await raw(Buffer.concat([Buffer.from(`POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${1 << 20}\r\nConnection: close\r\n\r\n`), Buffer.alloc(1 << 20, 0x41)]));
    expect(exact.statusLine).toBe('HTTP/1.1 200 OK');
  });

  it('refuses malformed HTTP with 400 before the function: a second Host, a bare LF, a header without a colon', async () => {
    const before = invocations();
    for (const request of [
      'GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n',
      'GET /echo HTTP/1.1\nHost: a\nConnection: close\n\n',
      'GET /echo HTTP/1.1\r\nHost: a\r\nbroken\r\nConnection: close\r\n\r\n',
      'GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n',
    ]) {
      expect((await raw(request)).statusLine, JSON.stringify(request)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(invocations()).toBe(before);
  });
});

describe("the HTTP the adapter makes of the function's result, as ALB does", () => {
  it('sends statusDescription as the reason, multi-value headers over single ones (names lower-cased), a base64 body decoded, and its own framing', async () => {
    const response = await raw(
      answering({
        statusCode: 201,
        statusDescription: '201 Made Here',
        headers: { 'X-A': 'single', 'X-Only-Single': 'kept', 'Content-Length': '999', Connection: 'close', 'Transfer-Encoding': 'chunked' },
        multiValueHeaders: { 'x-a': ['m1', 'm2'], 'Set-Cookie': ['a=1', 'b=2'] },
        body: Buffer.from('bin\x00\xff', 'latin1').toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(response.statusLine).toBe('HTTP/1.1 201 Made Here');
    expect(header(response, 'x-a')).toEqual(['m1', 'm2']);
    expect(header(response, 'x-only-single')).toEqual(['kept']);
    expect(header(response, 'set-cookie')).toEqual(['a=1', 'b=2']);
    expect(header(response, 'content-length')).toEqual(['5']);
    expect(header(response, 'transfer-encoding')).toEqual([]);
    expect(response.body).toEqual(Buffer.from('bin\x00\xff', 'latin1'));
  });

  it('answers HEAD with the length of the body it does not send, and 204 with neither', async () => {
    const head = await raw('HEAD /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(head.statusLine).toBe('HTTP/1.1 200 OK');
    expect(Number(header(head, 'content-length')[0])).toBeGreaterThan(100);
    expect(head.body.length).toBe(0);
    const empty = await raw(answering({ statusCode: 204, body: 'ignored' }));
    expect(empty.statusLine).toBe('HTTP/1.1 204 No Content');
    expect(header(empty, 'content-length')).toEqual([]);
    expect(empty.body.length).toBe(0);
  });

  it('answers 502 when the function fails (X-Amz-Function-Error) or its result is outside the contract or not valid HTTP, and keeps serving', async () => {
    const failures: [string, string][] = [
      ['the function throws', 'GET /throw HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'],
      ['no statusCode', answering({ body: 'x' })],
      ['a status outside 200-599', answering({ statusCode: 99, body: 'x' })],
      ['a body that is not a string', answering({ statusCode: 200, body: { not: 'a string' } })],
      ['a header value with a line break', answering({ statusCode: 200, headers: { 'x-split': 'a\r\nx-injected: yes' }, body: 'x' })],
      ['a header name that is not a token', answering({ statusCode: 200, headers: { 'bad name': 'v' }, body: 'x' })],
      ['a result that is not an object', answering('just a string')],
      ['multi-value headers that are not lists', answering({ statusCode: 200, multiValueHeaders: { 'x-a': 'not a list' }, body: 'x' })],
    ];
    for (const [label, request] of failures) {
      const response = await raw(request);
      expect(response.statusLine, label).toBe('HTTP/1.1 502 Bad Gateway');
      expect(response.body.toString(), label).toBe('502 Bad Gateway');
      expect(header(response, 'x-injected'), label).toEqual([]);
    }
    expect(adapterLog).toMatch(/X-Amz-Function-Error: Unhandled .*this function fails on \/throw/);
    expect((await raw('GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).statusLine).toBe('HTTP/1.1 200 OK');
  });
});
