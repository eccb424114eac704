import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

/**
 * The caller's IAM principal as the function URL's AWS_IAM auth hands it over: Lambda checks the
 * SigV4 signature before invoking and puts the principal in requestContext.authorizer.iam. An
 * event without one never comes from that front; the handler refuses it rather than guess.
 */
export function callerOf(event: LambdaFunctionURLEventWithIAMAuthorizer): string | undefined {
  // The type says it is always there; an event from anywhere else (a URL with auth NONE) has none.
  const iam = (event.requestContext as Partial<typeof event.requestContext>).authorizer?.iam;
  const arn = iam?.userArn;
  return typeof arn === 'string' && arn.startsWith('arn:') ? arn : undefined;
}

/**
 * Changing or deleting a certificate: its owner, or a principal the stack lists as an
 * administrator. Reads are every authenticated caller's. Assumed-role sessions count as their
 * role, so a role's next session may still change what an earlier one declared.
 */
export function mayChange(caller: string, owner: string, administrators: readonly string[]): boolean {
  const principal = principalOf(caller);
  return principal === principalOf(owner) || administrators.some((admin) => principalOf(admin) === principal);
}

/** arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION is the role arn:aws:iam::ACCOUNT:role/ROLE. */
export function principalOf(arn: string): string {
  const match = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return match === null ? arn : `arn:${match[1]}:iam::${match[2]}:role/${match[3]}`;
}
