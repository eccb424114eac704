import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { MiddlewareObj, Request } from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { CHALLENGE_PATH_PREFIX } from '../../lib/core/index.js';
import { Dimensions, ResponderLog, ResponderOutcomes, type ResponderOutcome } from '../../lib/core/telemetry.js';

/**
 * The responder's one logger: Powertools for AWS Lambda's Logger, one structured line per request
 * ending in its `Outcome`. The stack's metric filter on the function's log group counts these
 * lines as AcmeOnAws/ResponderRequests by Outcome (lib/constructs/monitoring.ts), matching
 * `message` and `Outcome` (names from lib/core/telemetry.ts). Nothing secret passes through the
 * responder (the thumbprint is public), and the token is not logged: the path is cut at the
 * challenge prefix.
 */
export const SERVICE_NAME = ResponderLog.service;
/** The `message` of the request line: the metric filter matches on it. */
export const REQUEST_LINE_MESSAGE = ResponderLog.requestMessage;

/** Outcome dimension values, by the status the responder answered (lib/core/telemetry.ts). */
export const Outcomes = ResponderOutcomes;
export type Outcome = ResponderOutcome;

/**
 * Powertools' standard keys cut to the ones docs/operations.md "Logs" lists: the function's ARN,
 * name and memory size and the sampling rate are the same on every line of a log group that
 * already names the function, and would be paid for in ingestion on every request.
 */
class ResponderLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
      },
    }).addAttributes(additional);
  }
}

export const logger = new Logger({ serviceName: SERVICE_NAME, logFormatter: new ResponderLogFormatter() });

/**
 * The most characters of any request value (a header, the method, a path) the line copies. ALB
 * passes headers up to 16 KB each, and a flood of requests with big headers would otherwise be
 * paid for in CloudWatch Logs ingestion and make each line hard to read; 256 holds every real
 * trace id, host or user agent.
 */
export const MAX_LOGGED_CHARS = 256;

/** A request value as the line copies it: cut at MAX_LOGGED_CHARS, the cut marked with the full length. */
export function loggedValue(value: string): string {
  return value.length <= MAX_LOGGED_CHARS ? value : `${value.slice(0, MAX_LOGGED_CHARS)}...[truncated, ${value.length} chars]`;
}

/** The path of a challenge request, token left out. */
const CHALLENGE_PATH = `${CHALLENGE_PATH_PREFIX}{token}`;

export function outcomeOf(status: number): Outcome {
  return (Outcomes as Record<number, Outcome>)[status] ?? 'other';
}

export interface RequestLogOptions {
  /** @default the responder's logger */
  readonly logger?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The middy middlewares: Powertools' own (the Lambda context on every line, per-request keys
 * dropped after each request), then the request line. The correlation id is set before the
 * handler runs, so the handler's own lines (the 503 reason) carry it too.
 */
export function requestLog(options: RequestLogOptions = {}): MiddlewareObj<ALBEvent, ALBResult>[] {
  const log = options.logger ?? logger;
  const now = options.now ?? Date.now;
  // On the request itself (middy makes one per invocation): cheaper than a WeakMap entry.
  const started = Symbol('requestLog.started');
  type Timed = Request<ALBEvent, ALBResult> & { [started]?: number };

  const line = (request: Timed, status: number | undefined, error: unknown) => {
    const at = now();
    const outcome: Outcome = status === undefined ? 'error' : outcomeOf(status);
    const { httpMethod, path } = request.event;
    const fields = {
      method: loggedValue(httpMethod),
      path: path.startsWith(CHALLENGE_PATH_PREFIX) ? CHALLENGE_PATH : loggedValue(path),
      status: status ?? 502,
      durationMs: at - (request[started] ?? at),
      ...(error === undefined ? {} : { error: error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error) }),
      [Dimensions.outcome]: outcome,
    };
    if (outcome === 'error' || outcome === 'unavailable') log.error(REQUEST_LINE_MESSAGE, fields);
    else log.info(REQUEST_LINE_MESSAGE, fields);
  };

  const requestLine: MiddlewareObj<ALBEvent, ALBResult> = {
    before: (request: Timed) => {
      request[started] = now();
      const traceId = header(request.event, 'x-amzn-trace-id');
      const requestId = (request.context as { awsRequestId?: string } | undefined)?.awsRequestId;
      log.setCorrelationId(traceId === undefined ? requestId : loggedValue(traceId));
    },
    after: (request) => {
      // ALB answers 502 for a status that is not an integer, and so does the line.
      const status = request.response?.statusCode;
      line(request, Number.isInteger(status) ? status : undefined, undefined);
    },
    onError: (request) => {
      line(request, undefined, request.error);
    },
  };
  // logEvent false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the whole event would carry the
  // token and every header uncut, past loggedValue (docs/security.md).
  return [injectLambdaContext(log, { resetKeys: true, logEvent: false }), requestLine];
}

/** A header as the client sent it; every value copied into the line goes through loggedValue. */
function header(event: ALBEvent, name: string): string | undefined {
  const single = event.headers?.[name];
  if (single !== undefined) return single;
  const multi = event.multiValueHeaders?.[name];
  return multi?.[multi.length - 1];
}
