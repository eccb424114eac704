// The local ALB, a development tool on node:http: listens on pebble's HTTP-01 port, turns each
// request into the ALB Lambda event (alb-event.ts) and the function's result back into HTTP as ALB
// does: 502 when the function fails (X-Amz-Function-Error) or answers outside the contract, 413
// for a body over 1 MB, multi-value headers over single ones. Malformed HTTP is refused by node's
// parser (400, 431 for a head over 64 KiB, 408 when slow) and never reaches the function.
// RESPONDER_RUNTIME=lambda (the default) calls the function through the Lambda Invoke API of
// responder-function.ts, where it runs under the real Lambda runtime; inprocess imports the
// handler here, with the responder's credentials (responder-credentials.ts, imported first).
import { createServer, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import './responder-credentials.js';
import { albEventBuilder } from './alb-event.js';
import { invokeApiClient } from './lambda-invoke-api.js';

const RUNTIMES = ['lambda', 'inprocess'] as const;
const runtime = process.env.RESPONDER_RUNTIME || 'lambda';
if (!(RUNTIMES as readonly string[]).includes(runtime)) {
  console.error(`RESPONDER_RUNTIME="${runtime}" is not valid; expected ${RUNTIMES.join(' or ')}`);
  process.exit(2);
}
const port = Number(process.env.PEBBLE_HTTP_PORT ?? '5002');
const host = process.env.ADAPTER_HOST ?? '127.0.0.1';
const invokePort = process.env.RESPONDER_INVOKE_PORT ?? '5003';
const TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local-acme/0000000000000000';
/** ALB refuses request bodies over 1 MB for Lambda targets. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Ours to set, as ALB frames the answer itself whatever the function says. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

interface Answer {
  readonly status: number;
  readonly reason?: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string | Buffer;
}
const plain = (status: number): Answer => ({ status, headers: { 'content-type': 'text/html' }, body: `${status} ${STATUS_CODES[status]}` });
const toAlbEvent = albEventBuilder({ port, targetGroupArn: TARGET_GROUP_ARN });

/** The function's result as ALB sends it on: names merged without regard to case (sent lower-cased), multi-value over single; 502 outside the contract. */
function fromAlbResult(value: unknown): Answer {
  const result = (typeof value === 'object' && value !== null ? value : {}) as Partial<ALBResult>;
  const status = result.statusCode;
  if (!Number.isInteger(status) || status! < 200 || status! > 599 || (result.body !== undefined && typeof result.body !== 'string')) return plain(502);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.map(String);
  for (const name of FRAMING) delete headers[name];
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  // ALB's status line carries the function's statusDescription ("200 OK") when it has one
  const reason = result.statusDescription?.startsWith(`${status} `) ? result.statusDescription.slice(`${status} `.length) : undefined;
  return { status: status!, reason, headers, body };
}

function failed(message: string, error: unknown): Answer {
  console.error(JSON.stringify({ level: 'ERROR', message: `${message}; answering 502 as ALB does`, error: String(error) }));
  return plain(502);
}

/** The function for one event, only the chosen runtime loaded; a function error rejects. */
async function functionInvoker(): Promise<(event: ALBEvent) => Promise<unknown>> {
  if (runtime === 'inprocess') {
    const { handler } = await import('../../lambdas/challenge/handler.js');
    return (event) => handler(event, {} as never);
  }
  const invoke = invokeApiClient(`http://127.0.0.1:${invokePort}/2015-03-31/functions/function/invocations`);
  return async (event) => {
    const answer = await invoke(JSON.stringify(event));
    // ALB answers 502 when Lambda reports a function error, whatever the error document says
    if (answer.functionError !== undefined) throw new Error(`X-Amz-Function-Error: ${answer.functionError} (request ${answer.requestId}): ${answer.payload.slice(0, 1000)}`);
    return JSON.parse(answer.payload);
  };
}
const invokeFunction = await functionInvoker();

/** The body, undefined when the request has none (most: a CA's GETs); 'too-large' past ALB's limit. */
function readBody(request: IncomingMessage): Promise<Buffer | undefined | 'too-large'> {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return Promise.resolve(undefined);
  if (Number(length) > MAX_BODY_BYTES) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // past the limit the rest is read and dropped, so the client sees the 413 rather than a reset
    request.on('data', (chunk: Buffer) => {
      if ((size += chunk.length) > MAX_BODY_BYTES) resolve('too-large');
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('close', () => reject(new Error('the client went away mid-body')));
  });
}

async function albFront(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const headers: [string, string][] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) headers.push([request.rawHeaders[i]!.toLowerCase(), request.rawHeaders[i + 1]!]);
  let answer: Answer;
  if (body === 'too-large') answer = plain(413);
  // node's parser takes a second Host; RFC 9112 3.2 (and the layer this replaced) refuse it
  else if (headers.filter(([name]) => name === 'host').length > 1) answer = plain(400);
  else {
    const event = toAlbEvent({ method: request.method!, target: request.url!, headers, ...(body === undefined ? {} : { body }), remoteAddress: request.socket.remoteAddress ?? '' });
    answer = await invokeFunction(event)
      .then(fromAlbResult, (error: unknown) => failed('function failed', error))
      .catch((error: unknown) => failed('function result outside the contract', error));
  }
  // 204 and 304 carry no body and no length (RFC 9110 8.6); node sends no body for HEAD
  const length = answer.status === 204 || answer.status === 304 ? {} : { 'content-length': Buffer.byteLength(answer.body) };
  try {
    response.writeHead(answer.status, answer.reason, { ...answer.headers, ...length });
  } catch (error) {
    // a header or reason node will not write (a control character, say): ALB cannot send it either
    answer = failed('function result not valid HTTP', error);
    response.writeHead(502, STATUS_CODES[502], { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  }
  response.end(answer.body);
}

const server = createServer({ maxHeaderSize: 64 * 1024, requireHostHeader: true }, (request, response) => {
  // a client gone mid-body only ends its own request
  albFront(request, response).catch(() => response.destroy());
});
// ALB's limits: 64 KiB of head, no count of its own; 60 s idle timeout
server.maxHeadersCount = 0;
server.headersTimeout = 20_000;
server.requestTimeout = 60_000;
server.keepAliveTimeout = 60_000;
// ELB refuses CONNECT with 400 (node would drop the connection): nothing is tunnelled
server.on('connect', (_request, socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
server.listen(port, host, () =>
  console.error(`local ALB adapter on http://${host}:${port} -> ${runtime === 'inprocess' ? 'lambdas/challenge/handler.ts in process' : `the responder under the Lambda runtime (Invoke API on :${invokePort})`}`),
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)).closeIdleConnections());
