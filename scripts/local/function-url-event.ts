// A request as a Lambda function URL with AWS_IAM auth hands it to the function (payload format
// 2.0, https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads): the
// signature already checked, the principal in requestContext.authorizer.iam. The local API
// endpoint builds every event with this, and the tests build theirs with it too, so both speak
// to the handler exactly as the function URL does.
import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

/** The principal a function URL reports for a verified signature (requestContext.authorizer.iam). */
export interface IamIdentity {
  readonly accountId: string;
  /** arn:aws:iam::ACCOUNT:user/NAME, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION for a role's session. */
  readonly userArn: string;
  /** The user's ID (AIDA…), or ROLEID:SESSION (AROA…:session) for a role's session. */
  readonly userId: string;
  readonly accessKey: string;
  readonly callerId: string;
}

export interface FunctionUrlRequest {
  readonly method: string;
  /** The path as sent, percent-escapes kept (the function URL's rawPath). */
  readonly rawPath: string;
  readonly rawQueryString?: string;
  /** Names lower-cased; repeated headers joined with "," as the function URL does. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
  readonly sourceIp?: string;
  /** The URL's host (its domain name); the function URL id is its first label. */
  readonly domainName: string;
  readonly now?: Date;
}

const TEXT_TYPES = /^(text\/|application\/(json|problem\+json|xml|x-www-form-urlencoded|javascript))/;

/** `identity: undefined` is a request that did not come through an AWS_IAM front (no authorizer at all): the handler must refuse it. */
export function functionUrlEventOf(request: FunctionUrlRequest, identity: IamIdentity | undefined): LambdaFunctionURLEventWithIAMAuthorizer {
  const now = request.now ?? new Date();
  const domainPrefix = request.domainName.split('.')[0]!;
  const contentType = request.headers['content-type'] ?? '';
  // Lambda hands over a text body as is and anything else base64-encoded.
  const text = request.body !== undefined && (contentType === '' || TEXT_TYPES.test(contentType));
  const requestContext = {
    accountId: identity?.accountId ?? 'anonymous',
    apiId: domainPrefix,
    domainName: request.domainName,
    domainPrefix,
    http: { method: request.method, path: request.rawPath, protocol: 'HTTP/1.1', sourceIp: request.sourceIp ?? '127.0.0.1', userAgent: request.headers['user-agent'] ?? '' },
    requestId: randomUUID(),
    routeKey: '$default',
    stage: '$default',
    time: clfTime(now),
    timeEpoch: now.getTime(),
    ...(identity === undefined ? {} : { authorizer: { iam: { ...identity, cognitoIdentity: null, principalOrgId: null } } }),
  };
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString ?? '',
    headers: { ...request.headers },
    ...(request.rawQueryString ? { queryStringParameters: Object.fromEntries(new URLSearchParams(request.rawQueryString)) } : {}),
    requestContext,
    isBase64Encoded: request.body !== undefined && !text,
    ...(request.body === undefined ? {} : { body: text ? request.body.toString('utf8') : request.body.toString('base64') }),
  };
  // Lambda hands the function the event decoded from JSON, as here. principalOrgId is null for a
  // principal outside an organization (the type says string); without an authorizer (a URL with
  // auth NONE) it is not of the IAM type at all: the handler must refuse it.
  return JSON.parse(JSON.stringify(event)) as LambdaFunctionURLEventWithIAMAuthorizer;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestContext.time: 02/Dec/2026:07:00:00 +0000. */
function clfTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
