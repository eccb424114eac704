import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

/** An IAM principal as a function URL with AWS_IAM auth reports it (an assumed role's session). */
export const ALICE = 'arn:aws:sts::123456789012:assumed-role/app-team/alice';

/**
 * A request as a Lambda function URL with AWS_IAM auth hands it to the function (payload format
 * 2.0, https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads): the
 * signature already checked by Lambda, the principal in requestContext.authorizer.iam.
 * `caller: undefined` is a request that did not come through that front (no authorizer at all).
 */
export function functionUrlEvent(method: string, path: string, options: { body?: string; caller?: string | undefined } = {}): LambdaFunctionURLEventWithIAMAuthorizer {
  const caller = 'caller' in options ? options.caller : ALICE;
  const now = new Date('2026-12-02T07:00:00Z');
  const requestContext = {
    accountId: '123456789012',
    apiId: 'abcdefghijklmnopqrstuvwxyz012345',
    domainName: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws',
    domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'curl/8.5.0' },
    requestId: '2f4a7a56-0f7b-4c3a-9d3e-1b2c3d4e5f60',
    routeKey: '$default',
    stage: '$default',
    time: '02/Dec/2026:07:00:00 +0000',
    timeEpoch: now.getTime(),
  };
  const authorizer =
    caller === undefined
      ? {}
      : {
          authorizer: {
            iam: { accessKey: 'ASIAEXAMPLEEXAMPLE12', accountId: '123456789012', callerId: 'AROAEXAMPLEEXAMPLE:alice', cognitoIdentity: null, principalOrgId: '', userArn: caller, userId: 'AROAEXAMPLEEXAMPLE:alice' },
          },
        };
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: requestContext.domainName,
      'user-agent': 'curl/8.5.0',
      'x-amz-date': '20261202T070000Z',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    requestContext: { ...requestContext, ...authorizer },
    isBase64Encoded: false,
    ...(options.body === undefined ? {} : { body: options.body }),
  };
  // Without an authorizer the event is not of the IAM type: the handler must refuse it.
  return event as LambdaFunctionURLEventWithIAMAuthorizer;
}
