// The local ALB: listens on pebble's HTTP-01 port and turns each request into an ALB Lambda
// event for the real responder, then turns its result back into HTTP, as ALB does (including 502
// when the function fails or returns something outside the contract, and 413 for a body over
// 1 MB). RESPONDER_RUNTIME=lambda (the default) invokes the function through the Lambda Invoke
// API of responder-function.ts, where it runs under the real Lambda runtime; inprocess imports
// the handler and calls it here (the bench's way: no runtime between it and the load).
// ALB parses HTTP itself before a function sees anything, and so does this stand-in:
// http1-server.ts, a strict HTTP/1.1 layer on node:net (node's http module alone cost more than
// the 2x-of-nginx budget; see the top of that file). Malformed HTTP is refused there with 400 and
// never reaches the function, as on ALB.
//
// In process, it also stands in for the Lambda service's log shipping. The handler writes its one
// JSON line per request to stdout synchronously, as it does on Lambda; Lambda forwards a
// function's output to CloudWatch asynchronously, so this process collects its own stdout/stderr
// and writes them once per event-loop turn (log-batcher.ts: nothing lost or reordered, flushed on
// exit and signals). One write(2) per line was the largest single cost per request under load.
//
// And for the function's credentials in process: Lambda gives the function its role's session as
// AWS_*; here the responder role's comes in as RESPONDER_AWS_* (up.sh, when moto enforces IAM) and
// is handed to the handler as AWS_* (responder-credentials.ts; under the Lambda runtime
// responder-function.ts does the same for the function).
import type { ALBEvent, ALBResult } from 'aws-lambda';
// first: the handler in process runs with the responder's credentials (RESPONDER_AWS_* when set)
import './responder-credentials.js';
import { albEventBuilder } from './alb-event.js';
import { createHttp1Server, type Http1Request, type Http1Response } from './http1-server.js';
import { invokeApiClient } from './lambda-invoke-api.js';
import { batchProcessOutput } from './log-batcher.js';

const RUNTIMES = ['lambda', 'inprocess'] as const;
const runtime = process.env.RESPONDER_RUNTIME || 'lambda';
if (!(RUNTIMES as readonly string[]).includes(runtime)) {
  console.error(`RESPONDER_RUNTIME="${runtime}" is not valid; expected ${RUNTIMES.join(' or ')}`);
  process.exit(2);
}

const port = Number(process.env.PEBBLE_HTTP_PORT ?? '5002');
const host = process.env.ADAPTER_HOST ?? '127.0.0.1';
const TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local-acme/0000000000000000';
/** ALB refuses request bodies over 1 MB for Lambda targets. */
const MAX_BODY_BYTES = 1024 * 1024;
const BAD_GATEWAY: Http1Response = { status: 502, headers: { 'content-type': 'text/html' }, body: '502 Bad Gateway' };

const toAlbEvent = albEventBuilder({ port, targetGroupArn: TARGET_GROUP_ARN });

function isAlbResult(value: unknown): value is ALBResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  return Number.isInteger(result.statusCode) && (result.body === undefined || typeof result.body === 'string');
}

/** The function's result as ALB sends it on: headers merged without regard to case (sent in lower case), multi-value over single; 502 outside the contract. */
function fromAlbResult(value: unknown): Http1Response {
  if (!isAlbResult(value)) return BAD_GATEWAY;
  const headers: Record<string, string | string[]> = {};
  const single = value.headers ?? {};
  for (const name in single) headers[name.toLowerCase()] = String(single[name]);
  const multi = value.multiValueHeaders ?? {};
  for (const name in multi) headers[name.toLowerCase()] = multi[name]!.map(String);
  const text = value.body ?? '';
  const body = value.isBase64Encoded ? Buffer.from(text, 'base64') : text;
  // ALB's status line carries the function's statusDescription ("200 OK") when it has one.
  const description = value.statusDescription;
  const prefix = `${value.statusCode} `;
  if (description?.startsWith(prefix)) return { status: value.statusCode, reason: description.slice(prefix.length), headers, body };
  return { status: value.statusCode, headers, body };
}

function threw(error: unknown): Http1Response {
  console.error(JSON.stringify({ level: 'ERROR', message: 'function failed; answering 502 as ALB does', error: String(error) }));
  return BAD_GATEWAY;
}

/** The function's answer to one event; a rejection is answered 502. Only the chosen runtime is loaded. */
async function functionInvoker(): Promise<(event: ALBEvent) => Promise<unknown>> {
  if (runtime === 'inprocess') {
    const { handler } = await import('../../lambdas/challenge/handler.js');
    return (event) => handler(event, {} as never);
  }
  const invoke = invokeApiClient(`http://127.0.0.1:${process.env.RESPONDER_INVOKE_PORT ?? '5003'}/2015-03-31/functions/function/invocations`);
  return async (event) => {
    const answer = await invoke(JSON.stringify(event));
    // ALB answers 502 when Lambda reports a function error, whatever the error document says
    if (answer.functionError !== undefined) throw new Error(`X-Amz-Function-Error: ${answer.functionError} (request ${answer.requestId}): ${answer.payload.slice(0, 1000)}`);
    return JSON.parse(answer.payload);
  };
}

const invokeFunction = await functionInvoker();
const albFront = (request: Http1Request): Promise<Http1Response> => invokeFunction(toAlbEvent(request)).then(fromAlbResult, threw);

// Lambda's log shipping for the handler in process (see the top of this file).
batchProcessOutput();

const server = createHttp1Server({
  handler: albFront,
  maxBodyBytes: MAX_BODY_BYTES,
  // a result that cannot be written as HTTP (a control character in a header, say) is answered 502 by the server
  onError: (error) => console.error(JSON.stringify({ level: 'ERROR', message: 'function result not valid HTTP; answering 502 as ALB does', error: String(error) })),
});
await server.listen(port, host);
console.error(`local ALB adapter on http://${host}:${port} -> ${runtime === 'inprocess' ? 'lambdas/challenge/handler.ts in process' : `the responder under the Lambda runtime (Invoke API on :${process.env.RESPONDER_INVOKE_PORT ?? '5003'})`}`);
// The batcher writes what is waiting on these signals and on exit; close lets requests finish.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
