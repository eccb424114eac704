import type { ALBEvent, ALBResult } from 'aws-lambda';

/** The statuses the responder can answer with, and their reason phrases (ALB wants both). */
const REASONS = {
  200: 'OK',
  404: 'Not Found',
  405: 'Method Not Allowed',
  503: 'Service Unavailable',
} as const;
export type ResponderStatus = keyof typeof REASONS;
/** `200 OK` and so on: ALB's status line is the function's statusDescription. */
const STATUS_DESCRIPTIONS = Object.fromEntries(Object.entries(REASONS).map(([code, reason]) => [code, `${code} ${reason}`])) as Record<ResponderStatus, string>;

/**
 * Builds a response in the ALB Lambda-target contract. When the target group has multi-value
 * headers on, the event carries `multiValueHeaders` and ALB expects the response in the same form.
 */
export function albResponse(event: Pick<ALBEvent, 'httpMethod' | 'multiValueHeaders'>, statusCode: ResponderStatus, body: string, extraHeaders?: Record<string, string>): ALBResult {
  // a literal, not a spread of shared defaults: this runs on every request
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (extraHeaders !== undefined) Object.assign(headers, extraHeaders);
  const result: ALBResult = {
    statusCode,
    statusDescription: STATUS_DESCRIPTIONS[statusCode],
    isBase64Encoded: false,
    // HEAD gets the headers of GET and no body.
    body: event.httpMethod === 'HEAD' ? '' : body,
  };
  if (event.multiValueHeaders !== undefined) {
    result.multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  } else {
    result.headers = headers;
  }
  return result;
}
