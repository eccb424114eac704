import type { ALBEvent } from 'aws-lambda';

/** An ALB event shaped as ALB sends it to a Lambda target (multi-value headers off). */
export function albEvent(method: string, path: string, overrides: Partial<ALBEvent> = {}): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/acme/73e2d6bc24d8a067' } },
    httpMethod: method,
    path,
    queryStringParameters: {},
    headers: {
      accept: '*/*',
      host: 'www.example.com',
      'user-agent': "Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)",
      'x-amzn-trace-id': 'Root=1-5c536348-3d683b8b04734faae651f476',
      'x-forwarded-for': '192.0.2.10',
      'x-forwarded-port': '80',
      'x-forwarded-proto': 'http',
    },
    body: '',
    isBase64Encoded: false,
    ...overrides,
  };
}

/** The same request with multi-value headers on (ALB then expects multiValueHeaders back). */
export function albMultiValueEvent(method: string, path: string): ALBEvent {
  const { headers, queryStringParameters, ...rest } = albEvent(method, path);
  return {
    ...rest,
    multiValueHeaders: Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, [v ?? '']])),
    multiValueQueryStringParameters: queryStringParameters === undefined ? {} : {},
  };
}

export const randomToken = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
