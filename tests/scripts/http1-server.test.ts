// The local ALB's HTTP/1.1 layer (scripts/local/http1-server.ts), over real sockets: a real
// server in this process with handlers written here, and real clients (node:net writing raw
// bytes, and fetch). Each case checks what goes over the wire, so a parser that accepts what it
// should refuse, answers out of order, or buffers without bound fails it.
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttp1Server, type Http1Handler, type Http1Request, type Http1Server, type Http1ServerOptions } from '../../scripts/local/http1-server.js';

const servers: Http1Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Started {
  readonly port: number;
  readonly server: Http1Server;
  /** Every request the handler was given, in order. */
  readonly seen: Http1Request[];
}

/** A server on a free loopback port; by default it echoes method, target and body. */
async function start(handler?: Http1Handler, options: Partial<Http1ServerOptions> = {}): Promise<Started> {
  const seen: Http1Request[] = [];
  const server = createHttp1Server({
    handler: (request) => {
      seen.push(request);
      return handler ? handler(request) : { status: 200, headers: { 'content-type': 'text/plain' }, body: `${request.method} ${request.target} ${request.body?.toString('latin1') ?? '-'}` };
    },
    ...options,
  });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, server, seen };
}

interface Response {
  readonly status: number;
  readonly reason: string;
  /** Lower-cased names, every line kept. */
  readonly headers: [string, string][];
  readonly body: string;
}

const header = (r: Response, name: string) => r.headers.filter(([n]) => n === name).map(([, v]) => v);

/** Splits bytes into the responses they hold (bodies by Content-Length; none after HEAD); the rest is returned as `tail`. */
function parseResponses(data: string, heads: readonly boolean[] = []): { responses: Response[]; tail: string } {
  const responses: Response[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const [statusLine = '', ...lines] = data.slice(at, end).split('\r\n');
    const match = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(statusLine);
    if (match === null) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const headers = lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
    const status = Number(match[1]);
    if (status === 100) {
      responses.push({ status, reason: match[2]!, headers, body: '' });
      at = end + 4;
      continue;
    }
    const length = heads[responses.filter((r) => r.status !== 100).length] ? 0 : Number(headers.find(([n]) => n === 'content-length')?.[1] ?? 0);
    if (data.length < end + 4 + length) break;
    responses.push({ status, reason: match[2]!, headers, body: data.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return { responses, tail: data.slice(at) };
}

/** A raw client: what it has received so far, and whether the server ended or closed the connection. */
class Client {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private text = '';
  ended = false;
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<Client> {
    const client = new Client(port);
    await new Promise<void>((resolve, reject) => {
      client.socket.once('connect', resolve);
      client.socket.once('error', reject);
    });
    return client;
  }

  /** Everything received so far, as latin1 (one byte, one character). */
  get data(): string {
    if (this.chunks.length > 0) this.text += Buffer.concat(this.chunks.splice(0)).toString('latin1');
    return this.text;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Waits until `done` holds (checked on every event), or fails after `ms`. */
  async until(done: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.data.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  async responses(count: number, heads: readonly boolean[] = []): Promise<Response[]> {
    await this.until(() => parseResponses(this.data, heads).responses.length >= count, `${count} responses`);
    return parseResponses(this.data, heads).responses;
  }

  /** Resolves once the server has ended its side (FIN or reset). */
  async closedByServer(): Promise<void> {
    await this.until(() => this.ended || this.closed, 'the server to close the connection');
  }
}

/** One raw exchange on a fresh connection: everything received until the server closes (or `ms` passes). */
async function exchange(port: number, bytes: string | Buffer, ms = 3000): Promise<{ data: string; closed: boolean }> {
  const client = await Client.open(port);
  client.write(bytes);
  await client.until(() => client.ended || client.closed, 'close', ms).catch(() => undefined);
  client.socket.destroy();
  return { data: client.data, closed: client.ended || client.closed };
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: a\r\n${extra}\r\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('http1 server: persistent connections and order', () => {
  it('keeps an HTTP/1.1 connection open and serves several requests on it', async () => {
    const { port, seen } = await start();
    const client = await Client.open(port);
    client.write(get('/one'));
    const [first] = await client.responses(1);
    expect(first).toMatchObject({ status: 200, reason: 'OK', body: 'GET /one -' });
    expect(header(first!, 'connection')).toEqual([]);
    client.write(get('/two'));
    const [, second] = await client.responses(2);
    expect(second).toMatchObject({ status: 200, body: 'GET /two -' });
    expect(client.ended || client.closed).toBe(false);
    expect(seen.map((r) => r.target)).toEqual(['/one', '/two']);
    client.socket.destroy();
  });

  it('answers pipelined requests in request order although the handler finishes them out of order', async () => {
    const delays: Record<string, number> = { '/slow': 120, '/fast': 0, '/middle': 40 };
    const { port } = await start(async (r) => {
      await sleep(delays[r.target] ?? 0);
      return { status: 200, body: r.target };
    });
    const client = await Client.open(port);
    client.write(get('/slow') + get('/fast') + get('/middle') + get('/fast'));
    const responses = await client.responses(4);
    expect(responses.map((r) => r.body)).toEqual(['/slow', '/fast', '/middle', '/fast']);
    client.socket.destroy();
  });

  it('honours Connection: close: the answer says so and the server ends the connection', async () => {
    const { port, seen } = await start();
    const client = await Client.open(port);
    // the second request comes after the one that closes: it must not be read
    client.write(get('/last', 'Connection: close\r\n') + get('/never'));
    const [response] = await client.responses(1);
    expect(header(response!, 'connection')).toEqual(['close']);
    await client.closedByServer();
    expect(seen.map((r) => r.target)).toEqual(['/last']);
  });

  it('closes an HTTP/1.0 connection after its answer unless it asked for keep-alive', async () => {
    const { port } = await start();
    const plain = await exchange(port, 'GET /old HTTP/1.0\r\n\r\n');
    expect(plain.closed).toBe(true);
    expect(parseResponses(plain.data).responses).toMatchObject([{ status: 200, body: 'GET /old -' }]);

    const client = await Client.open(port);
    client.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [first] = await client.responses(1);
    expect(header(first!, 'connection')).toEqual(['keep-alive']);
    client.write('GET /b HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    const [, second] = await client.responses(2);
    expect(second!.body).toBe('GET /b -');
    expect(client.ended || client.closed).toBe(false);
    client.socket.destroy();
  });

  it('answers HEAD with the length of the body it does not send (the next answer on the connection parses cleanly)', async () => {
    const { port } = await start((r) => ({ status: 200, body: `body of ${r.method}` }));
    const client = await Client.open(port);
    client.write(`HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n${get('/x')}`);
    const [head, after] = await client.responses(2, [true, false]);
    expect(header(head!, 'content-length')).toEqual([String('body of HEAD'.length)]);
    expect(head!.body).toBe('');
    expect(after).toMatchObject({ status: 200, body: 'body of GET' });
    await sleep(50);
    expect(parseResponses(client.data, [true, false]).tail).toBe('');
    client.socket.destroy();
  });

  it('writes multi-value headers as repeated lines and keeps repeated request headers in order, names lower-cased', async () => {
    const { port, seen } = await start(() => ({ status: 200, headers: { 'set-cookie': ['a=1', 'b=2'], 'x-one': 'y' }, body: '' }));
    const client = await Client.open(port);
    client.write('GET / HTTP/1.1\r\nHost: a\r\nX-Dup: first\r\nx-dup:   second  \r\nACCEPT: */*\r\n\r\n');
    const [response] = await client.responses(1);
    expect(header(response!, 'set-cookie')).toEqual(['a=1', 'b=2']);
    expect(header(response!, 'x-one')).toEqual(['y']);
    expect(header(response!, 'content-length')).toEqual(['0']);
    expect(seen[0]!.headers).toEqual([
      ['host', 'a'],
      ['x-dup', 'first'],
      ['x-dup', 'second'],
      ['accept', '*/*'],
    ]);
    client.socket.destroy();
  });

  it('serves fetch (undici) for GET and POST', async () => {
    const { port } = await start();
    const got = await fetch(`http://127.0.0.1:${port}/f?q=1`);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('GET /f?q=1 -');
    const posted = await fetch(`http://127.0.0.1:${port}/p`, { method: 'POST', body: 'payload' });
    expect(await posted.text()).toBe('POST /p payload');
  });
});

describe('http1 server: request bodies', () => {
  it('reads a Content-Length body, and one delivered a byte at a time', async () => {
    const { port } = await start();
    const request = 'POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world';
    const whole = await Client.open(port);
    whole.write(request + get('/next'));
    expect((await whole.responses(2)).map((r) => r.body)).toEqual(['POST /cl hello world', 'GET /next -']);
    whole.socket.destroy();

    const slow = await Client.open(port);
    for (const byte of request + get('/next')) {
      slow.write(byte);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await slow.responses(2)).map((r) => r.body)).toEqual(['POST /cl hello world', 'GET /next -']);
    slow.socket.destroy();
  });

  it('decodes a chunked body (extensions, trailers), whole and a byte at a time', async () => {
    const { port, seen } = await start();
    const request = 'POST /ch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
    const whole = await Client.open(port);
    whole.write(request);
    expect((await whole.responses(1))[0]!.body).toBe('POST /ch hello world');
    whole.socket.destroy();
    const slow = await Client.open(port);
    for (const byte of request) {
      slow.write(byte);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await slow.responses(1))[0]!.body).toBe('POST /ch hello world');
    slow.socket.destroy();
    // the trailer is dropped, as ALB hands a function none
    expect(seen[0]!.headers.map(([n]) => n)).toEqual(['host', 'transfer-encoding']);
  });

  it('answers 100 Continue to a client that waits for it before sending its body', async () => {
    const { port } = await start();
    const client = await Client.open(port);
    client.write('PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    await client.until(() => client.data.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), '100 Continue');
    client.write('data');
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    expect(responses[1]!.body).toBe('PUT /big data');
    client.socket.destroy();
  });

  it('refuses a body over the limit with 413 and closes, without calling the handler (Content-Length and chunked)', async () => {
    const { port, seen } = await start(undefined, { maxBodyBytes: 1000 });
    const byLength = await exchange(port, `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n${'x'.repeat(1001)}`);
    expect(byLength.closed).toBe(true);
    expect(parseResponses(byLength.data).responses.map((r) => [r.status, header(r, 'connection')[0]])).toEqual([[413, 'close']]);
    const chunked = await exchange(port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n${'y'.repeat(512)}\r\n200\r\n${'y'.repeat(512)}\r\n0\r\n\r\n`);
    expect(parseResponses(chunked.data).responses.map((r) => r.status)).toEqual([413]);
    expect(chunked.closed).toBe(true);
    // exactly at the limit is fine
    const atLimit = await exchange(port, `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'z'.repeat(1000)}`);
    expect(parseResponses(atLimit.data).responses.map((r) => r.status)).toEqual([200]);
    expect(seen).toHaveLength(1);
  });
});

describe('http1 server: strict parsing', () => {
  const malformed: [string, number, string][] = [
    ['no version', 400, 'GET /\r\n\r\n'],
    ['HTTP/1.1 lower case', 400, 'GET / http/1.1\r\nHost: a\r\n\r\n'],
    ['HTTP/2.0', 400, 'GET / HTTP/2.0\r\nHost: a\r\n\r\n'],
    ['two spaces', 400, 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['space in the target', 400, 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['tab as separator', 400, 'GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['empty method', 400, ' / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['bad method character', 400, 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['high byte in the target', 400, 'GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['DEL in the target', 400, 'GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['target not origin, absolute or asterisk form', 400, 'GET example.com HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['CONNECT', 400, 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n'],
    ['bare LF line endings', 400, 'GET / HTTP/1.1\nHost: a\n\n'],
    ['bare LF after a CRLF request line', 400, 'GET / HTTP/1.1\r\nHost: a\n\r\n'],
    ['bare CR in a value', 400, 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n'],
    ['obs-fold', 400, 'GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n'],
    ['space before the colon', 400, 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['no colon', 400, 'GET / HTTP/1.1\r\nHost: a\r\nbroken\r\n\r\n'],
    ['empty name', 400, 'GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n'],
    ['bad name character', 400, 'GET / HTTP/1.1\r\nHost: a\r\nX(Y: v\r\n\r\n'],
    ['NUL in a value', 400, 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n'],
    ['control character in a value', 400, 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x1bb\r\n\r\n'],
    ['Content-Length and Transfer-Encoding', 400, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['differing Content-Lengths', 400, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['Content-Length list', 400, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\na'],
    ['negative Content-Length', 400, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'],
    ['signed Content-Length', 400, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\na'],
    ['hex Content-Length', 400, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x1\r\n\r\na'],
    ['HTTP/1.1 without Host', 400, 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
    ['two Hosts', 400, 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['chunked in HTTP/1.0', 400, 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['bad chunk size', 400, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
    ['chunk data longer than its size', 400, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n'],
    ['unknown Transfer-Encoding', 501, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n'],
    ['chunked not last', 400, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
    ['chunked twice', 400, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['another coding before chunked', 501, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
  ];

  it.each(malformed)('%s: %i and close, handler never called', async (_label, status, request) => {
    const { port, seen } = await start();
    const { data, closed } = await exchange(port, request);
    const { responses } = parseResponses(data);
    expect(responses.map((r) => r.status)).toEqual([status]);
    expect(header(responses[0]!, 'connection')).toEqual(['close']);
    expect(closed).toBe(true);
    expect(seen).toEqual([]);
  });

  it('answers the requests before a malformed one, in order, then refuses it', async () => {
    const { port, seen } = await start(async (r) => {
      await sleep(30);
      return { status: 200, body: r.target };
    });
    const { data, closed } = await exchange(port, `${get('/fine')}GET /bad request HTTP/1.1\r\nHost: a\r\n\r\n${get('/never')}`);
    expect(parseResponses(data).responses.map((r) => [r.status, r.body.startsWith('/') ? r.body : ''])).toEqual([
      [200, '/fine'],
      [400, ''],
    ]);
    expect(closed).toBe(true);
    expect(seen.map((r) => r.target)).toEqual(['/fine']);
  });

  it('accepts what is well-formed at the edges: empty lines before a request, OPTIONS *, absolute form, tabs around a value, obs-text', async () => {
    const { port, seen } = await start();
    const client = await Client.open(port);
    client.write(`\r\n\r\n${get('/after-empty-lines')}OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET http://a.example/x HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX:\t v\xe9 \t\r\n\r\n`);
    expect((await client.responses(4)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(seen.map((r) => r.target)).toEqual(['/after-empty-lines', '*', 'http://a.example/x', '/']);
    expect(seen[3]!.headers[1]).toEqual(['x', 'v\xe9']);
    client.socket.destroy();
  });

  it('refuses a head over the limit: 431 for the headers, 414 while still in the request line', async () => {
    const { port, seen } = await start(undefined, { maxHeadBytes: 1024 });
    const headers = await exchange(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(2000)}\r\n\r\n`);
    expect(parseResponses(headers.data).responses.map((r) => r.status)).toEqual([431]);
    expect(headers.closed).toBe(true);
    const line = await exchange(port, `GET /${'a'.repeat(2000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(parseResponses(line.data).responses.map((r) => r.status)).toEqual([414]);
    // one that never ends is refused as soon as it passes the limit, not buffered on
    const endless = await Client.open(port);
    endless.write(`GET / HTTP/1.1\r\nHost: a\r\n${'X-Y: z\r\n'.repeat(200)}`);
    expect((await endless.responses(1)).map((r) => r.status)).toEqual([431]);
    await endless.closedByServer();
    // just under the limit is served
    const under = await exchange(port, `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX: ${'x'.repeat(900)}\r\n\r\n`);
    expect(parseResponses(under.data).responses.map((r) => r.status)).toEqual([200]);
    expect(seen).toHaveLength(1);
  });

  it('survives a client that goes away mid-head, mid-body and while its answer is being made', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { port, seen } = await start(async (r) => {
      if (r.target === '/wait') await gate;
      return { status: 200, body: r.target };
    });
    for (const partial of ['GET /half HTTP/1.1\r\nHo', 'POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc', get('/wait')]) {
      const client = await Client.open(port);
      client.write(partial);
      await sleep(30);
      client.socket.destroy();
    }
    // a client that half-closes after its requests still gets every answer, then the server ends
    const halfClosed = await Client.open(port);
    halfClosed.write(get('/wait') + get('/after'));
    halfClosed.socket.end();
    await sleep(30);
    release();
    expect((await halfClosed.responses(2)).map((r) => r.body)).toEqual(['/wait', '/after']);
    await halfClosed.closedByServer();
    const alive = await exchange(port, get('/alive', 'Connection: close\r\n'));
    expect(parseResponses(alive.data).responses.map((r) => r.body)).toEqual(['/alive']);
    expect(seen.map((r) => r.target)).toEqual(['/wait', '/wait', '/after', '/alive']);
  });

  it('answers 502 when the handler throws or answers what cannot be written (no header injection), and keeps the connection', async () => {
    const errors: unknown[] = [];
    const { port } = await start(
      (r) => {
        if (r.target === '/throw') throw new Error('boom');
        if (r.target === '/reject') return Promise.reject(new Error('async boom'));
        if (r.target === '/inject') return { status: 200, headers: { 'x-a': 'b\r\nx-injected: 1' }, body: 'no' };
        if (r.target === '/status') return { status: 99, body: 'no' };
        return { status: 200, body: 'ok' };
      },
      { onError: (e) => errors.push(e) },
    );
    const client = await Client.open(port);
    client.write(get('/throw') + get('/reject') + get('/inject') + get('/status') + get('/ok'));
    const responses = await client.responses(5);
    expect(responses.map((r) => r.status)).toEqual([502, 502, 502, 502, 200]);
    expect(responses.flatMap((r) => header(r, 'x-injected'))).toEqual([]);
    expect(errors).toHaveLength(4);
    client.socket.destroy();
  });
});

describe('http1 server: timeouts, backpressure, shutdown', () => {
  it('answers 408 to a head that does not arrive in time (slowloris), and closes an idle connection', async () => {
    const { port, seen } = await start(undefined, { headersTimeoutMs: 300, idleTimeoutMs: 600 });
    const slow = await Client.open(port);
    slow.write('GET / HTTP/1.1\r\n');
    const dripping = setInterval(() => slow.write('X: y\r\n'), 50);
    try {
      const [response] = await slow.responses(1);
      expect(response!.status).toBe(408);
      await slow.closedByServer();
    } finally {
      clearInterval(dripping);
    }
    const idle = await Client.open(port);
    idle.write(get('/once'));
    await idle.responses(1);
    const at = Date.now();
    await idle.closedByServer();
    expect(Date.now() - at).toBeGreaterThan(300);
    expect(seen.map((r) => r.target)).toEqual(['/once']);
  });

  it('stops reading while its answers are pending: a flood of pipelined requests reaches the handler a few at a time', async () => {
    let open = false;
    const waiting: (() => void)[] = [];
    let inHandler = 0;
    let most = 0;
    const { port, seen } = await start(
      async (r) => {
        inHandler++;
        most = Math.max(most, inHandler);
        if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
        inHandler--;
        return { status: 200, body: r.target };
      },
      { maxPendingPerConnection: 8 },
    );
    const count = 5000;
    const client = await Client.open(port);
    client.write(Array.from({ length: count }, (_, i) => get(`/${i}`)).join(''));
    await sleep(300);
    expect(seen.length).toBe(8);
    open = true;
    for (const w of waiting.splice(0)) w();
    const responses = await client.responses(count);
    expect(responses.map((r) => r.body)).toEqual(Array.from({ length: count }, (_, i) => `/${i}`));
    expect(most).toBeLessThanOrEqual(8);
    client.socket.destroy();
  });

  it('stops reading while the client does not read its answers: memory stays bounded', async () => {
    const big = 'b'.repeat(256 << 10);
    const { port, seen } = await start((r) => ({ status: 200, body: r.target + big }));
    const count = 120;
    const client = await Client.open(port);
    client.socket.pause();
    client.write(Array.from({ length: count }, (_, i) => get(`/${i}`, i === count - 1 ? 'Connection: close\r\n' : '')).join(''));
    await sleep(500);
    // the kernel's buffers on loopback hold a few MiB: a few answers of 256 KiB, not 120 (30 MiB)
    expect(seen.length).toBeLessThan(40);
    const stalled = seen.length;
    await sleep(300);
    expect(seen.length).toBe(stalled);
    client.socket.resume();
    await client.closedByServer();
    const { responses } = parseResponses(client.data);
    expect(responses.map((r) => r.body.slice(0, r.body.indexOf('b')))).toEqual(Array.from({ length: count }, (_, i) => `/${i}`));
    client.socket.destroy();
  }, 30_000);

  it('closes gracefully: refuses new connections, ends idle ones, lets the request in flight finish with connection: close', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { port, server } = await start(async (r) => {
      if (r.target === '/slow') await gate;
      return { status: 200, body: r.target };
    });
    const idle = await Client.open(port);
    idle.write(get('/idle'));
    await idle.responses(1);
    const busy = await Client.open(port);
    busy.write(get('/slow'));
    await sleep(30);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await idle.closedByServer();
    await expect(Client.open(port)).rejects.toThrow(/ECONNREFUSED/);
    await sleep(50);
    expect(closed).toBe(false);
    release();
    const [response] = await busy.responses(1);
    expect(response).toMatchObject({ status: 200, body: '/slow' });
    expect(header(response!, 'connection')).toEqual(['close']);
    await busy.closedByServer();
    await closing;
    expect(closed).toBe(true);
  });
});

describe('http1 server: generated input', () => {
  it('never fails on mangled requests split at any point: every answer is well-formed HTTP, and the server keeps serving', async () => {
    // HEAD is answered with an empty body here (as the responder does), so every answer's length is its Content-Length
    const { port } = await start((r) => ({ status: 200, body: r.method === 'HEAD' ? '' : `${r.method} ${r.target}` }), { maxHeadBytes: 2048, maxBodyBytes: 512, headersTimeoutMs: 2000 });
    const valid = [
      get('/a'),
      'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc',
      'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'HEAD /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    ];
    const piece = fc.oneof(
      fc.constantFrom(...valid),
      fc.constantFrom('\r', '\n', '\r\n', ' ', ':', '\t', '\x00', '\xff', 'chunked', 'Content-Length: 9\r\n', 'Transfer-Encoding: chunked\r\n', '0\r\n\r\n', 'HTTP/1.1', 'ffffffff\r\n'),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    );
    const input = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(input, async ([pieces, cuts]) => {
        const bytes = Buffer.from(pieces.join(''), 'latin1');
        const client = await Client.open(port);
        let at = 0;
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
          client.write(bytes.subarray(at, Math.max(at, cut)));
          at = Math.max(at, cut);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await sleep(20);
        client.socket.destroy();
        // whatever came back is a sequence of complete, well-formed answers, nothing else
        const { responses, tail } = parseResponses(client.data);
        for (const r of responses) expect([100, 200, 400, 408, 413, 414, 431, 501]).toContain(r.status);
        expect(tail).toBe('');
      }),
      { numRuns: Number(process.env.FUZZ_RUNS_HTTP1 ?? 300) },
    );
    const alive = await exchange(port, get('/alive', 'Connection: close\r\n'));
    expect(parseResponses(alive.data).responses.map((r) => r.body)).toEqual(['GET /alive']);
  });
});
