/**
 * One error type for everything the issuer and the responder report on purpose.
 * `code` is stable (callers switch on it); the CLI maps codes to exit codes in one table
 * (container/exit-codes.ts) and the responder maps them to HTTP statuses in one place.
 */
export const ErrorCodes = {
  /** A configuration variable is missing or malformed. */
  CONFIG_INVALID: 'ERR_CONFIG_INVALID',
  /** The command line is malformed (unknown command, missing flag). */
  USAGE: 'ERR_USAGE',
  /** A domain name or certificate name is not acceptable. */
  BAD_INPUT: 'ERR_BAD_INPUT',
  /** A challenge token is not a base64url string of sane length. */
  BAD_TOKEN: 'ERR_BAD_TOKEN',
  /** No ACME account is registered yet. */
  NOT_REGISTERED: 'ERR_NOT_REGISTERED',
  /** The CA could not be reached or answered with an error outside validation. */
  CA_UNAVAILABLE: 'ERR_CA_UNAVAILABLE',
  /** The CA refused one or more authorizations. */
  VALIDATION_FAILED: 'ERR_VALIDATION_FAILED',
  /** The CA refused the order, finalization or download. */
  ORDER_FAILED: 'ERR_ORDER_FAILED',
  /** S3 could not be read or written. */
  STORAGE_UNAVAILABLE: 'ERR_STORAGE_UNAVAILABLE',
  /** An object in S3 exists but does not parse; we never overwrite it. */
  STORAGE_CORRUPT: 'ERR_STORAGE_CORRUPT',
  /** A conditional write lost a race with another writer. */
  CONFLICT: 'ERR_CONFLICT',
  /** Another issuer holds the lease on this certificate. */
  LOCK_HELD: 'ERR_LOCK_HELD',
  /** ACM refused the import. */
  ACM_FAILED: 'ERR_ACM_FAILED',
  /** No certificate by that name. */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** A Secrets Manager / SSM copy or the HTTPS listener attachment could not be written. */
  EXPORT_FAILED: 'ERR_EXPORT_FAILED',
  /** The pre-flight self-check found a name the CA could not validate; no order was placed. */
  PREFLIGHT_FAILED: 'ERR_PREFLIGHT_FAILED',
  /** One or more `health` checks failed. */
  HEALTH_FAILED: 'ERR_HEALTH_FAILED',
  /** AWS refused a request for the caller's permissions (IAM, key or bucket policy) or refused the credentials. */
  ACCESS_DENIED: 'ERR_ACCESS_DENIED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class IssuerError extends Error {
  override readonly name = 'IssuerError';
  readonly code: ErrorCode;
  /** What the person should do about it; printed under the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

export function isIssuerError(error: unknown, code?: ErrorCode): error is IssuerError {
  return error instanceof IssuerError && (code === undefined || error.code === code);
}
