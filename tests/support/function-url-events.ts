import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import { functionUrlEventOf, type IamIdentity } from '../../scripts/local/function-url-event.js';

/** An IAM principal as a function URL with AWS_IAM auth reports it (an assumed role's session). */
export const ALICE = 'arn:aws:sts::123456789012:assumed-role/app-team/alice';
/** Another team's session: not ALICE's owner, not an administrator. */
export const CAROL = 'arn:aws:sts::123456789012:assumed-role/other-team/carol';
/** A session of the administrators' role. */
export const DAVE = 'arn:aws:sts::123456789012:assumed-role/platform/dave';
export const PLATFORM_ROLE = 'arn:aws:iam::123456789012:role/platform';

export const DOMAIN = 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws';

/** The identity a function URL reports for an ARN (role sessions as ROLEID:SESSION). */
export function identityOf(arn: string): IamIdentity {
  const session = /:assumed-role\/[^/]+\/(.+)$/.exec(arn)?.[1];
  const userId = session === undefined ? 'AIDAEXAMPLEEXAMPLE12' : `AROAEXAMPLEEXAMPLE:${session}`;
  return { accountId: arn.split(':')[4]!, userArn: arn, userId, accessKey: 'ASIAEXAMPLEEXAMPLE12', callerId: userId };
}

/**
 * A request through the function URL (the builder the local endpoint uses). `caller: undefined`
 * is a request that did not come through that front (no authorizer at all).
 */
export function functionUrlEvent(method: string, path: string, options: { body?: string; caller?: string | undefined } = {}): LambdaFunctionURLEventWithIAMAuthorizer {
  const caller = 'caller' in options ? options.caller : ALICE;
  const headers: Record<string, string> = {
    host: DOMAIN,
    'user-agent': 'curl/8.5.0',
    'x-amz-date': '20261202T070000Z',
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  return functionUrlEventOf({ method, rawPath: path, headers, body: options.body === undefined ? undefined : Buffer.from(options.body), domainName: DOMAIN }, caller === undefined ? undefined : identityOf(caller));
}
