import { ErrorCodes, IssuerError } from './errors.js';

/**
 * AWS refusing a request, said as what was refused and what to do. Callers know the IAM action
 * and resource of the request they sent, so the message names them even where the service does
 * not (S3 answers a bare "Access Denied" to many callers); where AWS's own message names an
 * action and resource (KMS behind an S3 write, ACM, Secrets Manager, SSM), those win: they are
 * what was actually evaluated. Pure: an SDK error is read by its `name` and `message` only.
 */

/** Error names AWS services give a request refused for the caller's permissions. */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthorizationErrorException', 'Forbidden']);
/** Error names for credentials AWS does not accept at all (unknown, expired, badly signed, absent). */
const BAD_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

export interface AwsRequest {
  /** The IAM action the request needs, e.g. s3:PutObject. */
  readonly action: string;
  /** The ARN it is authorized against. */
  readonly resource: string;
  /** What the caller was doing, e.g. "could not write s3://bucket/key"; the message starts with it. */
  readonly during: string;
  /** Who should hold the permission and where the stack grants it. */
  readonly grantee: string;
  /** More that is true of this request (an SSE-KMS write also needs the key, ...). */
  readonly notes?: readonly string[];
}

/** The partition of a region's ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

function nameAndMessage(error: unknown): { name: string; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return typeof name === 'string' ? { name, message: typeof message === 'string' ? message : '' } : undefined;
}

/** "User: ARN is not authorized to perform: ACTION [on resource: ARN]" as AWS (and moto) write it. */
function evaluated(message: string): { principal: string; action: string; resource: string | undefined } | undefined {
  const match = /User: (\S+) is not authorized to perform: ([\w-]+:[\w*]+)(?: on resource: "?([^"\s]+)"?)?/.exec(message);
  return match ? { principal: match[1]!, action: match[2]!, resource: match[3] } : undefined;
}

/**
 * An ERR_ACCESS_DENIED error naming the refused action and resource and what to do, when
 * `error` is AWS refusing the caller; undefined for any other error.
 */
export function accessDeniedError(error: unknown, request: AwsRequest): IssuerError | undefined {
  const found = nameAndMessage(error);
  if (found === undefined) return undefined;
  if (BAD_CREDENTIALS.has(found.name)) {
    return new IssuerError(ErrorCodes.ACCESS_DENIED, `${request.during}: AWS refused the credentials for ${request.action} (${found.name}: ${found.message})`, {
      hint: "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (on ECS and Lambda leave them unset: the role's credentials come from the runtime); an expired session needs new credentials",
      cause: error,
    });
  }
  if (!DENIED.has(found.name)) return undefined;
  const said = evaluated(found.message);
  const action = said?.action ?? request.action;
  const resource = said?.resource ?? request.resource;
  const to = said === undefined ? '' : ` to ${said.principal}`;
  const detail = said === undefined && found.message !== '' ? `${found.name}: ${found.message}` : found.name;
  return new IssuerError(ErrorCodes.ACCESS_DENIED, `${request.during}: AWS denied ${action} on ${resource}${to} (${detail})`, {
    hint: [`grant ${action} on ${resource} to ${request.grantee}, or run with credentials that have it`, ...(request.notes ?? [])].join('; '),
    cause: error,
  });
}
