// The local ALB: listens on pebble's HTTP-01 port and turns each request into an ALB Lambda
// event for the real responder handler, then turns its result back into HTTP, as ALB does
// (including 502 when the function throws or returns something outside the contract).
//
// It also stands in for the Lambda service's log shipping. The handler writes its one JSON line
// per request to stdout synchronously, as it does on Lambda; Lambda forwards a function's output
// to CloudWatch asynchronously, so this process collects its own stdout/stderr and writes them
// once per event-loop turn (log-batcher.ts: nothing lost or reordered, flushed on exit and
// signals). One write(2) per line was the largest single cost per request under load.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { handler } from '../../lambdas/challenge/handler.js';
import { batchProcessOutput } from './log-batcher.js';

const port = Number(process.env.PEBBLE_HTTP_PORT ?? '5002');
const host = process.env.ADAPTER_HOST ?? '127.0.0.1';
const TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local-acme/0000000000000000';
/** ALB refuses request bodies over 1 MB for Lambda targets. */
const MAX_BODY_BYTES = 1024 * 1024;
const FORWARDED_PORT = String(port);

export async function toAlbEvent(request: IncomingMessage): Promise<ALBEvent | 'too-large'> {
  const incoming = request.headers;
  // A request has a body only when it says so (RFC 9112 6.3); most here (GETs from a CA) do not,
  // and reading an empty stream through its async iterator costs more than the rest of the event.
  const contentLength = incoming['content-length'];
  const hasBody = incoming['transfer-encoding'] !== undefined || (contentLength !== undefined && contentLength !== '0');
  const body = hasBody ? await readBody(request) : undefined;
  if (body === 'too-large') return body;
  const rawUrl = request.url ?? '/';
  const queryIndex = rawUrl.indexOf('?');
  const path = queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex);
  // ALB passes query parameters as received (still percent-encoded), last value wins.
  const queryStringParameters: Record<string, string> = {};
  if (queryIndex !== -1) {
    for (const pair of rawUrl.slice(queryIndex + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      queryStringParameters[eq === -1 ? pair : pair.slice(0, eq)] = eq === -1 ? '' : pair.slice(eq + 1);
    }
  }
  // Node has already lower-cased the names and joined repeated headers; ALB keeps the last value.
  const headers: Record<string, string> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value !== undefined) headers[name] = typeof value === 'string' ? value : value[value.length - 1]!;
  }
  headers['x-forwarded-for'] = request.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = FORWARDED_PORT;
  return {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP_ARN } },
    httpMethod: request.method ?? 'GET',
    path,
    queryStringParameters,
    headers,
    body: body === undefined || body.length === 0 ? '' : body.toString('base64'),
    isBase64Encoded: true,
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isAlbResult(value: unknown): value is ALBResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  return Number.isInteger(result.statusCode) && (result.body === undefined || typeof result.body === 'string');
}

function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

// Lambda's log shipping (see the top of this file).
batchProcessOutput();

const server = createServer(async (request, response) => {
  try {
    const event = await toAlbEvent(request);
    if (event === 'too-large') return send(response, 413, '413 Request Entity Too Large');
    const result: unknown = await handler(event, {} as never);
    if (!isAlbResult(result)) return send(response, 502, '502 Bad Gateway');
    // A text body goes out as the string it is (node joins it to the head), not copied into a Buffer.
    const text = result.body ?? '';
    const body = result.isBase64Encoded ? Buffer.from(text, 'base64') : text;
    // One object for one writeHead instead of a setHeader per header, merged as those calls did:
    // names without regard to case (sent in lower case), multi-value headers over single ones, and
    // our content-length over both.
    const headers: OutgoingHttpHeaders = {};
    const single = result.headers ?? {};
    for (const name in single) headers[name.toLowerCase()] = String(single[name]);
    const multi = result.multiValueHeaders ?? {};
    for (const name in multi) headers[name.toLowerCase()] = multi[name]!.map(String);
    headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    response.writeHead(result.statusCode, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    console.error(JSON.stringify({ level: 'ERROR', message: 'handler threw; answering 502 as ALB does', error: String(error) }));
    send(response, 502, '502 Bad Gateway');
  }
});

server.listen(port, host, () => console.error(`local ALB adapter on http://${host}:${port} -> lambdas/challenge/handler.ts`));
// The batcher writes what is waiting on these signals and on exit; server.close lets requests finish.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)));
