import type { ALBEvent, ALBResult } from 'aws-lambda';

/** The statuses the responder can answer with, and their reason phrases (ALB wants both). */
const REASONS = {
  200: 'OK',
  404: 'Not Found',
  405: 'Method Not Allowed',
  503: 'Service Unavailable',
} as const;
export type ResponderStatus = keyof typeof REASONS;

/**
 * Builds a response in the ALB Lambda-target contract. When the target group has multi-value
 * headers on, the event carries `multiValueHeaders` and ALB expects the response in the same form.
 */
export function albResponse(
  event: Pick<ALBEvent, 'httpMethod' | 'multiValueHeaders'>,
  statusCode: ResponderStatus,
  body: string,
  extraHeaders: Record<string, string> = {},
): ALBResult {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extraHeaders,
  };
  const result: ALBResult = {
    statusCode,
    statusDescription: `${statusCode} ${REASONS[statusCode]}`,
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
