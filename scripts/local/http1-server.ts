// A small, strict HTTP/1.1 server over node:net, for the local ALB adapter only (a local tool,
// never deployed: on AWS the ALB itself parses HTTP and calls the Lambda).
//
// Why not node:http: on this machine node's http module alone answers a fixed body at ~75k req/s
// against nginx's ~130k, so an adapter built on it cannot come within 2x of nginx however little
// it does per request; a bare node:net server writing a fixed answer reached ~148k. ALB is itself
// a proxy that parses HTTP before the function sees anything, so the local ALB has its own parser.
//
// Strict where ALB and RFC 9112 are: anything malformed is answered 400 and the connection closed
// (request line, header syntax, obs-fold, space before the colon, control characters, both
// Content-Length and Transfer-Encoding, differing or invalid Content-Length, HTTP/1.1 without
// exactly one Host, CONNECT and authority-form targets, which ELB refuses with 400 too). Lines end
// in CRLF only: a bare LF is refused, not accepted (RFC 9112 2.2 allows either; one rule, the
// strict one). A head over `maxHeadBytes` is answered 431 (414 while still in the request line),
// a transfer coding other than `chunked` 501 (`chunked` not last: 400), a body over
// `maxBodyBytes` 413, a request not complete in time 408; all of them close the connection.
//
// Connections are persistent as HTTP/1.1 says (HTTP/1.0 only with `Connection: keep-alive`);
// pipelined requests are answered in order although the handler is async; reading pauses while
// `maxPendingPerConnection` answers wait or the client is not reading what we write, so nothing
// is buffered without bound. Each turn's ready answers go out in one write.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Http1Request {
  /** As sent (methods are case-sensitive): `GET`, `HEAD`, `POST`… */
  readonly method: string;
  /** The request-target as sent, read as latin1 (printable ASCII only: anything else is refused). */
  readonly target: string;
  readonly version: '1.0' | '1.1';
  /** Every header line in order, names lower-cased, values without surrounding spaces; repeats kept. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** Present only when the request has a body (Content-Length above 0, or chunked). */
  readonly body?: Buffer;
  readonly remoteAddress: string;
}

export interface Http1Response {
  readonly status: number;
  /** @default the standard reason phrase for `status`, or none */
  readonly reason?: string;
  /** An array is written as repeated lines. Content-Length, Transfer-Encoding and Connection are the server's and ignored here. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Strings are sent as UTF-8. A HEAD request gets the headers (Content-Length included) and no body. @default empty */
  readonly body?: string | Uint8Array;
}

export type Http1Handler = (request: Http1Request) => Http1Response | Promise<Http1Response>;

export interface Http1ServerOptions {
  readonly handler: Http1Handler;
  /** Called when the handler throws or answers something that cannot be written; the client gets 502, as from a proxy. */
  readonly onError?: (error: unknown) => void;
  /** Request line and headers together (ALB: 64 KiB). @default 65536 */
  readonly maxHeadBytes?: number;
  /** @default 1048576 (ALB's limit for Lambda targets) */
  readonly maxBodyBytes?: number;
  /** From a request's first byte to the end of its head (against slowloris). @default 20000 */
  readonly headersTimeoutMs?: number;
  /** From a request's first byte to the end of its body. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** Nothing read or written for this long closes the connection (ALB's idle timeout). @default 60000 */
  readonly idleTimeoutMs?: number;
  /** Answers a connection may have outstanding before reading pauses. @default 32 */
  readonly maxPendingPerConnection?: number;
}

export interface Http1Server {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, lets requests already begun finish (their answers say `connection: close`), ends idle connections. */
  close(): Promise<void>;
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  413: 'Content Too Large', 414: 'URI Too Long', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** method SP request-target SP HTTP-version; the target printable ASCII, no spaces. */
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [\x21-\x7e]+ HTTP\/1\.[01]$/;
const TARGET = /^[\x21-\x7e]+$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** What a field value may not hold: controls other than HTAB (CR, LF and NUL among them). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Our own answers are plain ASCII (UTF-8 bodies aside), so the whole answer can be one UTF-8 string. */
const BAD_OUT_VALUE = /[^\t\x20-\x7e]/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,8})[\t ]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
const EMPTY = Buffer.alloc(0);
/** A chunk-size line with its extensions, and each trailer section, may take this much. */
const MAX_CHUNK_LINE = 4096;
/** After an answer that closes, what the client still sends is read and dropped this long, so it sees the answer, not a reset. */
const LINGER_MS = 2000;

type Refusal = 400 | 408 | 413 | 414 | 431 | 501;
type Framing = { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' };
const NO_BODY: Framing = { kind: 'none' };
const CHUNKED: Framing = { kind: 'chunked' };
interface Head {
  readonly method: string;
  readonly target: string;
  readonly version: '1.0' | '1.1';
  readonly headers: Array<readonly [string, string]>;
  readonly framing: Framing;
  readonly keepAlive: boolean;
  /** The client waits for `100 Continue` before it sends the body (curl does above 1 KiB). */
  readonly expectContinue: boolean;
}
/** One answer owed, in request order: `outcome` arrives when the handler is done. */
interface Slot {
  readonly head: boolean;
  readonly keepAlive: boolean;
  /** HTTP/1.0 keeps the connection only when the answer says `connection: keep-alive`. */
  readonly http10: boolean;
  /** 'failed': the handler threw, the slot answers 502. */
  outcome?: Http1Response | 'failed';
}

/** Parses a request head (without its final CRLFCRLF), or says how to refuse it. */
function parseHead(text: string): Head | Refusal {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = text.length;
  // method SP request-target SP HTTP-version, exactly
  const space = text.indexOf(' ');
  const versionAt = lineEnd - 8;
  if (space <= 0 || versionAt <= space + 1 || text.charCodeAt(versionAt - 1) !== 32 || !text.startsWith('HTTP/1.', versionAt)) return 400;
  const minor = text.charCodeAt(lineEnd - 1);
  if (minor !== 48 && minor !== 49) return 400;
  const method = text.slice(0, space);
  const target = text.slice(space + 1, versionAt - 1);
  if (!TOKEN.test(method) || !TARGET.test(target)) return 400;
  // origin-form, absolute-form, or `*` for OPTIONS; CONNECT's authority-form is not served (ELB refuses CONNECT with 400).
  if (method === 'CONNECT' || (target.charCodeAt(0) !== 47 && !(target === '*' && method === 'OPTIONS') && !ABSOLUTE_FORM.test(target))) return 400;
  const version = minor === 49 ? '1.1' : '1.0';
  const headers: Array<readonly [string, string]> = [];
  let hosts = 0;
  let lengths: string | undefined;
  let codings: string | undefined;
  let connection = '';
  let expectContinue = false;
  for (let at = lineEnd + 2; at < text.length; at = lineEnd + 2) {
    lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) lineEnd = text.length;
    const colon = text.indexOf(':', at);
    // no colon, an empty name, obs-fold (a line starting with space) or space before the colon
    if (colon <= at || colon > lineEnd) return 400;
    const name = text.slice(at, colon);
    if (!TOKEN.test(name)) return 400;
    let start = colon + 1;
    let end = lineEnd;
    while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
    while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
    const value = text.slice(start, end);
    // a CR or LF outside a CRLF pair, NUL and the other controls
    if (BAD_VALUE.test(value)) return 400;
    const lower = name.toLowerCase();
    headers.push([lower, value]);
    if (lower === 'host') hosts++;
    else if (lower === 'content-length') {
      if (!/^[0-9]{1,15}$/.test(value) || (lengths !== undefined && lengths !== value)) return 400;
      lengths = value;
    } else if (lower === 'transfer-encoding') codings = codings === undefined ? value : `${codings}, ${value}`;
    else if (lower === 'connection') connection += `,${value.toLowerCase()}`;
    else if (lower === 'expect') expectContinue = value.toLowerCase() === '100-continue';
  }
  if (hosts > 1 || (version === '1.1' && hosts === 0)) return 400;
  let framing: Framing = NO_BODY;
  if (codings !== undefined) {
    // both framings at once is the shape of request smuggling; HTTP/1.0 has no chunked (RFC 9112 6.1)
    if (lengths !== undefined || version === '1.0') return 400;
    const list = codings.toLowerCase().split(',').map((c) => c.trim());
    // chunked anywhere but once and last leaves the length unknown (RFC 9112 6.3: 400); any other coding is not implemented here
    if (list.indexOf('chunked') !== list.length - 1) return list.includes('chunked') ? 400 : 501;
    if (list.length > 1) return 501;
    framing = CHUNKED;
  } else if (lengths !== undefined && Number(lengths) > 0) framing = { kind: 'length', length: Number(lengths) };
  const tokens = connection === '' ? [] : connection.split(',').map((t) => t.trim());
  const keepAlive = version === '1.1' ? !tokens.includes('close') : tokens.includes('keep-alive') && !tokens.includes('close');
  return { method, target, version, headers, framing, keepAlive, expectContinue: expectContinue && version === '1.1' };
}

/** The bytes of one answer; throws TypeError on a response that cannot be written as given. */
function serialize(response: Http1Response, slot: Slot, close: boolean, dateLine: string): string | Buffer {
  const { status } = response;
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new TypeError(`status ${String(status)} cannot be answered`);
  const reason = response.reason ?? REASONS[status] ?? '';
  if (BAD_OUT_VALUE.test(reason)) throw new TypeError('invalid character in the reason phrase');
  let text = `HTTP/1.1 ${status} ${reason}\r\n`;
  const headers = response.headers ?? {};
  for (const name in headers) {
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    const value = headers[name]!;
    if (typeof value === 'string') text += headerLine(name, value);
    else for (const one of value) text += headerLine(name, one);
  }
  const body = response.body ?? '';
  // 204 and 304 carry no body and no length (RFC 9110 8.6)
  const bodyless = status === 204 || status === 304;
  if (!bodyless) text += `content-length: ${typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
  if (close) text += 'connection: close\r\n';
  else if (slot.http10) text += 'connection: keep-alive\r\n';
  text += dateLine;
  if (slot.head || bodyless) return text;
  return typeof body === 'string' ? text + body : Buffer.concat([Buffer.from(text, 'latin1'), body]);
}

function headerLine(name: string, value: unknown): string {
  if (typeof value !== 'string' || BAD_OUT_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`);
  return `${name}: ${value}\r\n`;
}

const refusal = (status: Refusal | 502): Http1Response => ({ status, headers: { 'content-type': 'text/plain' }, body: `${status} ${REASONS[status]}\n` });

class Connection {
  /** Bytes read; those before `pos` are consumed. Holds at most one head, chunk line or body piece, or requests held back by `maxPending`. */
  private input: Buffer = EMPTY;
  /** `input` read as latin1 (byte i is char i), made once per chunk: searching a string costs no call into C++. */
  private text = '';
  private pos = 0;
  /** How far `input` was already searched for the end of the head (and for bare LFs). */
  private scanned = 0;
  private state: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done' = 'head';
  /** The head whose body is being read. */
  private current: Head | undefined;
  private remaining = 0;
  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  private trailerBytes = 0;
  private readonly queue: Slot[] = [];
  private writeBlocked = false;
  private paused = false;
  private readEnded = false;
  /** Set once the last answer is written (or the socket is gone): what arrives after is dropped. */
  private finished = false;
  private lingerUntil = 0;
  /** When the request being read started (as the server's clock saw it), 0 while none is. */
  private requestStartedAt = 0;
  private lastActivity: number;
  private readonly remoteAddress: string;

  constructor(
    private readonly socket: Socket,
    private readonly server: ServerState,
  ) {
    this.lastActivity = server.clock;
    this.remoteAddress = socket.remoteAddress ?? '';
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.readEnded = true;
      this.parse();
    });
    socket.on('drain', () => {
      this.lastActivity = this.server.clock;
      this.lingerUntil = this.server.clock + LINGER_MS;
      this.writeBlocked = false;
      this.resume();
    });
    // A reset or a broken pipe only ends this connection; 'close' follows.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.finished = true;
      this.server.connections.delete(this);
    });
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.server.clock;
    if (this.state === 'done') return; // after the last request: read and dropped
    if (this.pos === this.input.length) {
      this.input = chunk;
      this.text = chunk.toString('latin1');
    } else {
      this.input = Buffer.concat([this.input.subarray(this.pos), chunk]);
      this.text = this.text.slice(this.pos) + chunk.toString('latin1');
      this.scanned -= this.pos;
    }
    this.pos = 0;
    this.parse();
  }

  private get buffered(): number {
    return this.input.length - this.pos;
  }

  /** Consumes what `input` holds, then ends a connection the client has half-closed once nothing more can come. */
  private parse(): void {
    this.consume();
    if (!this.readEnded || this.finished) return;
    const heldBack = this.state === 'head' && this.buffered > 0 && this.full();
    if (this.state !== 'done' && !heldBack) this.stop(); // a request cut short cannot be answered
    if (this.state === 'done' && this.queue.length === 0) this.finish();
  }

  private full(): boolean {
    return this.writeBlocked || this.queue.length >= this.server.maxPending;
  }

  private consume(): void {
    const text = this.text;
    while (this.state !== 'done') {
      if (this.state === 'head') {
        // RFC 9112 2.2: empty lines before a request line are ignored (some clients send CRLF after a body)
        while (text.startsWith('\r\n', this.pos)) this.pos += 2;
        if (this.pos === this.input.length) return;
        if (this.full()) return this.pause();
        if (this.requestStartedAt === 0) this.requestStartedAt = this.server.clock;
        if (!this.readHead()) return;
      } else if (this.state === 'body' || this.state === 'chunk-data') {
        const take = Math.min(this.remaining, this.buffered);
        if (take === 0) return;
        this.bodyParts.push(this.input.subarray(this.pos, this.pos + take));
        this.pos += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          if (this.state === 'body') this.dispatch();
          else this.state = 'chunk-end';
        }
      } else {
        const end = text.indexOf('\r\n', this.pos);
        if (end === -1) {
          if (this.buffered > MAX_CHUNK_LINE || this.hasBareLf(this.pos)) this.refuse(400);
          return;
        }
        const line = text.slice(this.pos, end);
        this.pos = end + 2;
        if (this.state === 'chunk-end') {
          if (line !== '') return this.refuse(400);
          this.state = 'chunk-size';
        } else if (this.state === 'chunk-size') {
          const size = CHUNK_SIZE.exec(line);
          if (size === null) return this.refuse(400);
          this.remaining = Number.parseInt(size[1]!, 16);
          if (this.bodyBytes + this.remaining > this.server.maxBodyBytes) return this.refuse(413);
          this.bodyBytes += this.remaining;
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
        } else {
          // trailer fields: checked like header fields, then dropped (ALB hands no trailers to a function)
          this.trailerBytes += line.length + 2;
          if (this.trailerBytes > MAX_CHUNK_LINE) return this.refuse(431);
          const colon = line.indexOf(':');
          if (line === '') this.dispatch();
          else if (colon <= 0 || !TOKEN.test(line.slice(0, colon)) || BAD_VALUE.test(line)) return this.refuse(400);
        }
      }
    }
  }

  /** False while the head is incomplete (or was refused); true once it is consumed. */
  private readHead(): boolean {
    const { text, pos } = this;
    const max = this.server.maxHeadBytes;
    const end = text.indexOf('\r\n\r\n', Math.max(pos, this.scanned - 3));
    if (end === -1 && this.buffered <= max) {
      if (this.hasBareLf(Math.max(pos, this.scanned))) {
        this.refuse(400);
        return false;
      }
      // a request line is judged as soon as it is complete, not when the head ends
      const lineEnd = text.indexOf('\r\n', pos);
      if (lineEnd !== -1 && lineEnd + 2 > this.scanned && !REQUEST_LINE.test(text.slice(pos, lineEnd))) {
        this.refuse(400);
        return false;
      }
      this.scanned = this.input.length;
      return false;
    }
    if (end === -1 || end + 4 - pos > max) {
      const lineEnd = text.indexOf('\r\n', pos);
      this.refuse(lineEnd === -1 || lineEnd - pos > max ? 414 : 431);
      return false;
    }
    const head = parseHead(text.slice(pos, end));
    this.pos = end + 4;
    this.scanned = 0;
    if (typeof head === 'number') {
      this.refuse(head);
      return false;
    }
    this.current = head;
    const { framing } = head;
    if (framing.kind === 'none') this.dispatch();
    else if (framing.kind === 'length' && framing.length > this.server.maxBodyBytes) this.refuse(413);
    else {
      this.state = framing.kind === 'chunked' ? 'chunk-size' : 'body';
      this.remaining = framing.kind === 'chunked' ? 0 : framing.length;
      // an interim answer may only go out when no answer before it is owed
      if (head.expectContinue && this.queue.length === 0) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    return true;
  }

  /** A LF not preceded by CR in what is buffered, from `from` on. */
  private hasBareLf(from: number): boolean {
    const text = this.text;
    for (let i = text.indexOf('\n', from); i !== -1; i = text.indexOf('\n', i + 1)) if (i === this.pos || text.charCodeAt(i - 1) !== 13) return true;
    return false;
  }

  /** Hands the complete request to the handler; its answer takes the next place in line. */
  private dispatch(): void {
    const head = this.current!;
    const body = head.framing.kind === 'none' ? undefined : this.bodyParts.length === 1 ? this.bodyParts[0]! : Buffer.concat(this.bodyParts);
    this.current = undefined;
    this.bodyParts = [];
    this.bodyBytes = 0;
    this.trailerBytes = 0;
    this.requestStartedAt = 0;
    const slot: Slot = { head: head.method === 'HEAD', keepAlive: head.keepAlive && !this.server.closing, http10: head.version === '1.0' };
    this.queue.push(slot);
    if (slot.keepAlive) this.state = 'head';
    else this.stop(); // the last request this connection reads
    const request: Http1Request = {
      method: head.method,
      target: head.target,
      version: head.version,
      headers: head.headers,
      ...(body === undefined ? {} : { body }),
      remoteAddress: this.remoteAddress,
    };
    let answer: Http1Response | Promise<Http1Response>;
    try {
      answer = this.server.handler(request);
    } catch (error) {
      return this.fail(slot, error);
    }
    if (answer instanceof Promise) {
      answer.then(
        (response) => {
          slot.outcome = response;
          this.flush();
        },
        (error: unknown) => this.fail(slot, error),
      );
    } else {
      slot.outcome = answer;
      this.flush();
    }
  }

  private fail(slot: Slot, error: unknown): void {
    this.server.onError(error);
    slot.outcome = 'failed';
    this.flush();
  }

  /** Answers a request we will not hand on, after the answers owed before it, and ends the connection. */
  private refuse(status: Refusal): void {
    this.stop();
    this.queue.push({ head: false, keepAlive: false, http10: false, outcome: refusal(status) });
    this.flush();
  }

  /** Reads no more requests from this connection. */
  private stop(): void {
    this.state = 'done';
    this.input = EMPTY;
    this.text = '';
    this.pos = 0;
    this.current = undefined;
    this.bodyParts = [];
    this.requestStartedAt = 0;
  }

  /** Writes the answers ready at the front of the line, in one write. */
  private flush(): void {
    if (this.finished) return;
    let out: string | Buffer | undefined;
    let close = false;
    while (this.queue.length > 0 && this.queue[0]!.outcome !== undefined) {
      const slot = this.queue.shift()!;
      // closing down: the answer that leaves nothing owed and nothing half-read says so and is the last
      close = !slot.keepAlive || (this.server.closing && this.queue.length === 0 && this.state === 'head' && this.buffered === 0);
      let bytes: string | Buffer;
      try {
        bytes = serialize(slot.outcome === 'failed' ? refusal(502) : slot.outcome!, slot, close, this.server.dateLine);
      } catch (error) {
        this.server.onError(error);
        bytes = serialize(refusal(502), slot, close, this.server.dateLine);
      }
      out = out === undefined ? bytes : typeof out === 'string' && typeof bytes === 'string' ? out + bytes : Buffer.concat([Buffer.from(out), Buffer.from(bytes)]);
      if (close) break;
    }
    if (out === undefined) return;
    this.lastActivity = this.server.clock;
    if (!this.socket.write(out)) this.writeBlocked = true;
    if (close) this.finish();
    else this.resume();
  }

  /** The last answer is written: end our side, and read and drop what the client still sends for a while (so it sees the answer, not a reset). */
  private finish(): void {
    this.stop();
    this.queue.length = 0;
    this.finished = true;
    this.lingerUntil = this.server.clock + LINGER_MS;
    this.socket.end();
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /** Goes on reading once answers have gone out and the client takes them. */
  private resume(): void {
    if (this.finished) return;
    if (this.writeBlocked) return this.pause();
    this.parse(); // requests held back, and the end of a half-closed connection
    if (this.paused && !this.finished && !this.full()) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** The server's sweep: request timeouts, the idle timeout, the end of lingering. */
  check(now: number): void {
    if (this.finished) {
      if (this.socket.writableLength === 0 ? now > this.lingerUntil : now - this.lastActivity > this.server.idleTimeoutMs) this.socket.destroy();
      return;
    }
    if (this.requestStartedAt !== 0) {
      const limit = this.current === undefined ? this.server.headersTimeoutMs : this.server.requestTimeoutMs;
      if (now - this.requestStartedAt > limit) return this.refuse(408);
    }
    if (now - this.lastActivity > this.server.idleTimeoutMs) this.socket.destroy();
  }

  /** Graceful close: an idle connection ends now, a busy one after the answer it owes (flush sees `closing`). */
  shutdown(): void {
    if (!this.finished && this.queue.length === 0 && this.requestStartedAt === 0 && this.state === 'head') this.finish();
  }
}

interface ServerState {
  readonly handler: Http1Handler;
  readonly onError: (error: unknown) => void;
  readonly maxHeadBytes: number;
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxPending: number;
  readonly connections: Set<Connection>;
  closing: boolean;
  /** Date.now() as of the last sweep: a timestamp per request then costs nothing. */
  clock: number;
  /** The Date header line as of the last sweep (at most a second old), with the blank line that ends a head. */
  dateLine: string;
}

const dateLineAt = (now: number) => `date: ${new Date(now).toUTCString()}\r\n\r\n`;

export function createHttp1Server(options: Http1ServerOptions): Http1Server {
  const state: ServerState = {
    handler: options.handler,
    onError: options.onError ?? (() => undefined),
    maxHeadBytes: options.maxHeadBytes ?? 64 * 1024,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    headersTimeoutMs: options.headersTimeoutMs ?? 20_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    maxPending: options.maxPendingPerConnection ?? 32,
    connections: new Set(),
    closing: false,
    clock: Date.now(),
    dateLine: '',
  };
  state.dateLine = dateLineAt(state.clock);
  // half-open allowed: a client may send its last requests and shut its side while answers are due
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    state.connections.add(new Connection(socket, state));
  });
  const sweepMs = Math.max(10, Math.min(1000, state.headersTimeoutMs / 4, state.requestTimeoutMs / 4, state.idleTimeoutMs / 4));
  const sweep = setInterval(() => {
    state.clock = Date.now();
    state.dateLine = dateLineAt(state.clock);
    for (const connection of state.connections) connection.check(state.clock);
  }, sweepMs);
  sweep.unref();
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        state.closing = true;
        // net.Server calls back once every connection has closed
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        for (const connection of state.connections) connection.shutdown();
      }),
  };
}
