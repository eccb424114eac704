import type { MiddlewareObj, Request } from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { CHALLENGE_PATH_PREFIX } from '../../lib/core/index.js';
import { Dimensions, ResponderLog, ResponderOutcomes, type ResponderOutcome } from '../../lib/core/telemetry.js';

/**
 * One structured line per request, in the shape of Powertools for AWS Lambda's Logger
 * (level, message, timestamp, service, cold_start, function_request_id, correlation_id), ending
 * in its `Outcome`. The stack's metric filter on the function's log group counts these lines as
 * AcmeOnAws/ResponderRequests by Outcome (lib/constructs/monitoring.ts), as it does for the
 * issuer: no EMF block repeated on every line, which was 40% of its bytes. Nothing secret passes
 * through the responder (the thumbprint is public), and the token is not logged: the path is cut
 * at the challenge prefix.
 */
export const SERVICE_NAME = ResponderLog.service;
/** The `message` of the request line: the metric filter matches on it. */
export const REQUEST_LINE_MESSAGE = ResponderLog.requestMessage;

/** Outcome dimension values, by the status the responder answered (lib/core/telemetry.ts). */
export const Outcomes = ResponderOutcomes;
export type Outcome = ResponderOutcome;

export interface RequestLogOptions {
  /** @default process.stdout */
  readonly write?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

let coldStart = true;

/**
 * The most characters of any request value (a header, the method, a path) the line copies. ALB
 * passes headers up to 16 KB each, and a flood of requests with big headers would otherwise be
 * paid for in CloudWatch Logs ingestion and make each line hard to read; 256 holds every real
 * trace id, host or user agent.
 */
export const MAX_LOGGED_CHARS = 256;

/** A request value as the line copies it: cut at MAX_LOGGED_CHARS, the cut marked with the full length (ASCII, see LINE_CHALLENGE_PATH). */
export function loggedValue(value: string): string {
  return value.length <= MAX_LOGGED_CHARS ? value : `${value.slice(0, MAX_LOGGED_CHARS)}...[truncated, ${value.length} chars]`;
}

/** Constant parts of the request line, as JSON text. */
const LINE_INFO = `{"level":"INFO","message":${JSON.stringify(REQUEST_LINE_MESSAGE)},"timestamp":`;
const LINE_ERROR = `{"level":"ERROR","message":${JSON.stringify(REQUEST_LINE_MESSAGE)},"timestamp":`;
const LINE_SERVICE = `,"service":${JSON.stringify(SERVICE_NAME)},"cold_start":`;
/** The path of a challenge request, token left out. ASCII on purpose: one non-ASCII character makes
 * V8 hold the whole line as a two-byte string, which doubles the cost of joining and writing it. */
const LINE_CHALLENGE_PATH = `,"path":"${CHALLENGE_PATH_PREFIX}{token}"`;
const LINE_METHODS: Record<string, string | undefined> = { GET: ',"method":"GET"', HEAD: ',"method":"HEAD"' };
/** The line's end: the outcome, which the stack's metric filter counts as ResponderRequests. */
const LINE_OUTCOME = Object.fromEntries(
  [...Object.values(Outcomes), 'error', 'other'].map((outcome) => [outcome, `,${JSON.stringify(Dimensions.outcome)}:${JSON.stringify(outcome)}}`]),
) as Record<Outcome, string>;

/** The last time isoTimestamp quoted, and its text. */
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
    const context = request.context as { awsRequestId?: string } | undefined;
    const requestId = context?.awsRequestId;
    const traceId = header(event, 'x-amzn-trace-id');
    const correlationId = traceId === undefined ? requestId : loggedValue(traceId);
    const isCold = coldStart;
    coldStart = false;
    // Assembled from JSON text: constant parts made once, numbers and booleans written as they
    // are, strings through JSON.stringify. Byte for byte JSON.stringify of the whole object
    // (tests/lambdas/observability.test.ts), at a fraction of its cost.
    write(
      `${outcome === 'error' || outcome === 'unavailable' ? LINE_ERROR : LINE_INFO}${isoTimestamp(at)}${LINE_SERVICE}${isCold}` +
        (requestId === undefined ? '' : `,"function_request_id":${JSON.stringify(requestId)}`) +
        (correlationId === undefined ? '' : `,"correlation_id":${JSON.stringify(correlationId)}`) +
        (LINE_METHODS[event.httpMethod] ?? `,"method":${JSON.stringify(loggedValue(event.httpMethod))}`) +
        (event.path.startsWith(CHALLENGE_PATH_PREFIX) ? LINE_CHALLENGE_PATH : `,"path":${JSON.stringify(loggedValue(event.path))}`) +
        `,"status":${status ?? 502},"durationMs":${at - (request[started] ?? at)}` +
        (error === undefined ? '' : `,"error":${JSON.stringify(error instanceof Error ? `${error.name}: ${error.message}` : String(error))}`) +
        LINE_OUTCOME[outcome],
    );
  };

  return {
    before: (request: Timed) => {
      request[started] = now();
    },
    after: (request) => {
      // ALB answers 502 for a status that is not an integer, and so does the line.
      const status = request.response?.statusCode;
      log(request, Number.isInteger(status) ? status : undefined, undefined);
    },
    onError: (request) => {
      log(request, undefined, request.error);
    },
  };
}

/** The ISO text of a time as a JSON string, kept for the millisecond it names: requests under load share it. */
function isoTimestamp(at: number): string {
  if (at !== lastAt) {
    lastIso = `"${new Date(at).toISOString()}"`;
    lastAt = at;
  }
  return lastIso;
}

/** A header as the client sent it; every value copied into the line goes through loggedValue. */
function header(event: ALBEvent, name: string): string | undefined {
  const single = event.headers?.[name];
  if (single !== undefined) return single;
  const multi = event.multiValueHeaders?.[name];
  return multi?.[multi.length - 1];
}
