// An HTTP request as ALB hands it to a Lambda target (multi-value headers off): the local ALB
// adapter builds every event with this, and `just deploy-local` builds the one it sends to the
// deployed responder with it too, so both speak to the function exactly as ALB does.
import type { ALBEvent } from 'aws-lambda';

/** A request as it arrived, before ALB turns it into an event. */
export interface AlbRequest {
  /** As sent (methods are case-sensitive): `GET`, `HEAD`, `POST`… */
  readonly method: string;
  /** The request-target as sent, bytes read as latin1 (query string included). */
  readonly target: string;
  /** Every header line in order, names lower-cased; repeats kept. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** Present only when the request has a body (Content-Length above 0, or chunked). */
  readonly body?: Buffer;
  readonly remoteAddress: string;
}

export interface AlbEventOptions {
  /** The listener's port, sent as x-forwarded-port (80 for the stack's challenge listener). */
  readonly port: number;
  /** The target group the event names in requestContext.elb. */
  readonly targetGroupArn: string;
}

/** The event builder for one listener and target group (the adapter makes one at start). */
export function albEventBuilder(options: AlbEventOptions): (request: AlbRequest) => ALBEvent {
  const forwardedPort = String(options.port);
  const requestContext = { elb: { targetGroupArn: options.targetGroupArn } };
  return (request) => {
    const target = request.target;
    const queryIndex = target.indexOf('?');
    const path = queryIndex === -1 ? target : target.slice(0, queryIndex);
    // ALB passes query parameters as received (still percent-encoded), last value wins.
    const queryStringParameters: Record<string, string> = {};
    if (queryIndex !== -1) {
      for (const pair of target.slice(queryIndex + 1).split('&')) {
        if (pair === '') continue;
        const eq = pair.indexOf('=');
        queryStringParameters[eq === -1 ? pair : pair.slice(0, eq)] = eq === -1 ? '' : pair.slice(eq + 1);
      }
    }
    // Names arrive lower-cased, repeats kept in order; ALB keeps the last value.
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) headers[name] = value;
    headers['x-forwarded-for'] = request.remoteAddress || '127.0.0.1';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = forwardedPort;
    return {
      requestContext,
      httpMethod: request.method,
      path,
      queryStringParameters,
      headers,
      body: request.body === undefined || request.body.length === 0 ? '' : request.body.toString('base64'),
      isBase64Encoded: true,
    };
  };
}
