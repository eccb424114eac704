import type { MiddlewareObj, Request } from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';

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

export function outcomeOf(status: number): Outcome {
  return (Outcomes as Record<number, Outcome>)[status] ?? 'other';
}

/** The middy middleware: the class of work is small enough to live in the three hooks. */
export function requestLog(options: RequestLogOptions = {}): MiddlewareObj<ALBEvent, ALBResult> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const started = new WeakMap<object, number>();

  const log = (request: Request<ALBEvent, ALBResult>, status: number | undefined, error: unknown) => {
    const at = now();
    const outcome: Outcome = status === undefined ? 'error' : outcomeOf(status);
    const event = request.event;
    const traceId = header(event, 'x-amzn-trace-id');
    const context = request.context as { awsRequestId?: string } | undefined;
    const isCold = coldStart;
    coldStart = false;
    write(
      JSON.stringify({
        level: outcome === 'error' || outcome === 'unavailable' ? 'ERROR' : 'INFO',
        message: 'challenge request',
        timestamp: new Date(at).toISOString(),
        service: SERVICE_NAME,
        cold_start: isCold,
        function_request_id: context?.awsRequestId,
        correlation_id: traceId ?? context?.awsRequestId,
        method: event.httpMethod,
        path: event.path.startsWith('/.well-known/acme-challenge/') ? '/.well-known/acme-challenge/…' : event.path.slice(0, 200),
        status: status ?? 502,
        durationMs: at - (started.get(request) ?? at),
        ...(error === undefined ? {} : { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        _aws: {
          Timestamp: at,
          CloudWatchMetrics: [{ Namespace: RESPONDER_NAMESPACE, Dimensions: [['Outcome']], Metrics: [{ Name: RESPONDER_METRIC, Unit: 'Count' }] }],
        },
        Outcome: outcome,
        [RESPONDER_METRIC]: 1,
      }),
    );
  };

  return {
    before: (request) => {
      started.set(request, now());
    },
    after: (request) => {
      log(request, request.response?.statusCode, undefined);
    },
    onError: (request) => {
      log(request, undefined, request.error);
    },
  };
}

function header(event: ALBEvent, name: string): string | undefined {
  const single = event.headers?.[name];
  if (single !== undefined) return single;
  const multi = event.multiValueHeaders?.[name];
  return multi?.[multi.length - 1];
}
