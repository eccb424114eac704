// The Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations, RequestResponse) in front
// of a function run by lambda-runtime.ts, and a client for it: what ALB does when it calls its
// Lambda target. A function error is answered as Lambda answers it, 200 with X-Amz-Function-Error:
// Unhandled and the error document; the Lambda service's own failures are 5xx.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LambdaFunction } from './lambda-runtime.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;
/** The Invoke API's limit for a synchronous request payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface InvokeApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveInvokeApi(fn: Pick<LambdaFunction, 'invokeRaw'>, options: { readonly host: string; readonly port: number }): Promise<InvokeApiServer> {
  const server = createServer((req, res) => void answer(fn, req, res));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function answer(fn: Pick<LambdaFunction, 'invokeRaw'>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const fail = (status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ Type: status < 500 ? 'User' : 'Service', message }));
  };
  if (req.method !== 'POST' || !INVOKE_PATH.test((req.url ?? '').split('?')[0]!)) return fail(404, 'UnknownOperationException', `no such operation: ${req.method} ${req.url}`);
  const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
  if (type !== 'RequestResponse') return fail(400, 'InvalidParameterValueException', `invocation type ${String(type)} is not served here, only RequestResponse`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PAYLOAD_BYTES) return fail(413, 'RequestTooLargeException', 'request payload over 6 MB');
    chunks.push(chunk);
  }
  const traceId = req.headers['x-amzn-trace-id'];
  try {
    const output = await fn.invokeRaw(Buffer.concat(chunks).toString('utf8') || '{}', { traceId: typeof traceId === 'string' ? traceId : undefined });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': output.requestId, 'x-amz-executed-version': '$LATEST' };
    if (output.functionError !== undefined) headers['x-amz-function-error'] = output.functionError;
    res.writeHead(200, headers).end(output.payload);
  } catch (error) {
    fail(500, 'ServiceException', error instanceof Error ? error.message : String(error));
  }
}

export interface InvokeAnswer {
  /** X-Amz-Function-Error: the function failed and `payload` is its error document. */
  readonly functionError: string | undefined;
  readonly payload: string;
  readonly requestId: string | undefined;
}

/** A client for one function's Invoke API (kept-alive connections); rejects when the API itself fails (not for a function error). */
export function invokeApiClient(url: string): (payload: string) => Promise<InvokeAnswer> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true });
  return (payload) =>
    new Promise((resolve, reject) => {
      const call = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200) return reject(new Error(`the Invoke API answered ${response.statusCode}: ${text.slice(0, 500)}`));
            const header = (name: string) => (typeof response.headers[name] === 'string' ? response.headers[name] : undefined);
            resolve({ functionError: header('x-amz-function-error'), payload: text, requestId: header('x-amzn-requestid') });
          });
        },
      );
      call.on('error', reject);
      call.end(payload);
    });
}
