import type { MiddlewareObj, Request } from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { CHALLENGE_PATH_PREFIX } from '../../lib/core/index.js';

/**
 * One structured line per request, in the shape of Powertools for AWS Lambda's Logger
 * (level, message, timestamp, service, cold_start, function_request_id, correlation_id), which
 * is also a CloudWatch Embedded Metric Format document: Lambda turns it into the metric
 * AcmeOnAws/ResponderRequests by Outcome. Nothing secret passes through the responder (the
 * thumbprint is public), and the token is not logged: the path is cut at the challenge prefix.
 */
export const RESPONDER_NAMESPACE = 'AcmeOnAws';
export const RESPONDER_METRIC = 'ResponderRequests';
export const SERVICE_NAME = 'acme-challenge-responder';

/** Outcome dimension values, by the status the responder answered. */
export const Outcomes = {
  200: 'answered',
  404: 'not-found',
  405: 'method-not-allowed',
  503: 'unavailable',
} as const;
export type Outcome = (typeof Outcomes)[keyof typeof Outcomes] | 'error' | 'other';

export interface RequestLogOptions {
  /** @default process.stdout */
  readonly write?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

let coldStart = true;

/** Constant parts of the request line, as JSON text. */
/** The path of a challenge request, token left out. ASCII on purpose: one non-ASCII character makes
 * V8 hold the whole line as a two-byte string, which doubles the cost of joining and writing it. */
const LINE_CHALLENGE_PATH = `,"path":"${CHALLENGE_PATH_PREFIX}{token}"`;
const LINE_MESSAGE = ',"message":"challenge request"';
const LINE_SERVICE = `,"service":${JSON.stringify(SERVICE_NAME)}`;
const LINE_METRICS = `,"CloudWatchMetrics":${JSON.stringify([
  { Namespace: RESPONDER_NAMESPACE, Dimensions: [['Outcome']], Metrics: [{ Name: RESPONDER_METRIC, Unit: 'Count' }] },
])}`;
const LINE_COUNT = `,${JSON.stringify(RESPONDER_METRIC)}:1`;

/** The last timestamp made by isoTimestamp, and its text. */
let lastAt = Number.NaN;
let lastIso = '';

export function outcomeOf(status: number): Outcome {
  return (Outcomes as Record<number, Outcome>)[status] ?? 'other';
}

/** The middy middleware: the class of work is small enough to live in the three hooks. */
export function requestLog(options: RequestLogOptions = {}): MiddlewareObj<ALBEvent, ALBResult> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  // On the request itself (middy makes one per invocation): a WeakMap entry cost more than the line.
  const started = Symbol('requestLog.started');
  type Timed = Request<ALBEvent, ALBResult> & { [started]?: number };

  const log = (request: Timed, status: number | undefined, error: unknown) => {
    const at = now();
    const outcome: Outcome = status === undefined ? 'error' : outcomeOf(status);
    const event = request.event;
    const traceId = header(event, 'x-amzn-trace-id');
    const context = request.context as { awsRequestId?: string } | undefined;
    const isCold = coldStart;
    coldStart = false;
    // The line is assembled from JSON text: the constant parts are made once (LINE_*), each value
    // that changes per request goes through JSON.stringify on its own. The result is byte for byte
    // what JSON.stringify of the whole object gives (tests/lambdas/observability.test.ts), at a
    // quarter of the cost: one nested object and its metric definition per request was most of it.
    write(
      `{"level":${outcome === 'error' || outcome === 'unavailable' ? '"ERROR"' : '"INFO"'}${LINE_MESSAGE}` +
        member('timestamp', isoTimestamp(at)) +
        LINE_SERVICE +
        member('cold_start', isCold) +
        member('function_request_id', context?.awsRequestId) +
        member('correlation_id', traceId ?? context?.awsRequestId) +
        member('method', event.httpMethod) +
        (event.path.startsWith(CHALLENGE_PATH_PREFIX) ? LINE_CHALLENGE_PATH : member('path', event.path.slice(0, 200))) +
        member('status', status ?? 502) +
        member('durationMs', at - (request[started] ?? at)) +
        (error === undefined ? '' : member('error', error instanceof Error ? `${error.name}: ${error.message}` : String(error))) +
        `,"_aws":{"Timestamp":${JSON.stringify(at)}${LINE_METRICS}}` +
        member('Outcome', outcome) +
        LINE_COUNT +
        '}',
    );
  };

  return {
    before: (request: Timed) => {
      request[started] = now();
    },
    after: (request) => {
      log(request, request.response?.statusCode, undefined);
    },
    onError: (request) => {
      log(request, undefined, request.error);
    },
  };
}

/** `,"name":value` as JSON.stringify writes an object member; nothing for undefined, as it skips those. */
function member(name: string, value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? '' : `,"${name}":${json}`;
}

/** The ISO text of a time, kept for the millisecond it names: requests under load share it. */
function isoTimestamp(at: number): string {
  if (at !== lastAt) {
    lastIso = new Date(at).toISOString();
    lastAt = at;
  }
  return lastIso;
}

function header(event: ALBEvent, name: string): string | undefined {
  const single = event.headers?.[name];
  if (single !== undefined) return single;
  const multi = event.multiValueHeaders?.[name];
  return multi?.[multi.length - 1];
}
