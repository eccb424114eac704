import type { LambdaFunctionURLResult } from 'aws-lambda';
import { ErrorCodes, IssuerError, type ErrorCode } from '../../lib/core/index.js';

/**
 * Errors as RFC 9457 problem documents (application/problem+json): `type` names the error code,
 * `title` is the code's fixed wording, `detail` this occurrence, `instance` the request path, and
 * the extension members `code` (the same codes the CLI prints) and `hint` (what to do).
 */

/** Codes only the API answers with (the issuer's own are lib/core/errors.ts). */
export const ApiErrorCodes = {
  /** The path exists, the method is not one of its methods. */
  METHOD_NOT_ALLOWED: 'ERR_METHOD_NOT_ALLOWED',
  /** ECS did not start the issuer task (what was stored stays; the next scheduled renew picks a declaration up). */
  TASK_NOT_STARTED: 'ERR_TASK_NOT_STARTED',
  /** A bug (the CLI prints the same code for one): the log has the cause, the answer does not. */
  INTERNAL: 'ERR_INTERNAL',
} as const;

export type ApiErrorCode = (typeof ApiErrorCodes)[keyof typeof ApiErrorCodes];
export type ProblemCode = ErrorCode | ApiErrorCode;

/** Every code's HTTP status and title: the one table (openapi.json lists the same codes). */
export const PROBLEMS: Readonly<Record<ProblemCode, { readonly status: number; readonly title: string }>> = {
  [ErrorCodes.CONFIG_INVALID]: { status: 500, title: 'The API is not configured correctly' },
  [ErrorCodes.USAGE]: { status: 400, title: 'The request is malformed' },
  [ErrorCodes.BAD_INPUT]: { status: 400, title: 'A value in the request is not valid' },
  [ErrorCodes.BAD_TOKEN]: { status: 400, title: 'The challenge token is not valid' },
  [ErrorCodes.NOT_REGISTERED]: { status: 503, title: 'No ACME account is registered yet' },
  [ErrorCodes.CA_UNAVAILABLE]: { status: 502, title: 'The CA could not be reached' },
  [ErrorCodes.VALIDATION_FAILED]: { status: 422, title: 'The CA could not validate a name' },
  [ErrorCodes.ORDER_FAILED]: { status: 502, title: 'The CA refused the order' },
  [ErrorCodes.STORAGE_UNAVAILABLE]: { status: 503, title: 'The certificate store could not be reached' },
  [ErrorCodes.STORAGE_CORRUPT]: { status: 500, title: 'An object in the certificate store is damaged' },
  [ErrorCodes.CONFLICT]: { status: 409, title: 'Another writer changed it first' },
  [ErrorCodes.LOCK_HELD]: { status: 409, title: 'Another issuer is working on this certificate' },
  [ErrorCodes.ACM_FAILED]: { status: 502, title: 'ACM refused the import' },
  [ErrorCodes.NOT_FOUND]: { status: 404, title: 'No such certificate or resource' },
  [ErrorCodes.EXPORT_FAILED]: { status: 502, title: 'A hand-over copy could not be written' },
  [ErrorCodes.PREFLIGHT_FAILED]: { status: 422, title: 'A name does not reach the responder' },
  [ErrorCodes.HEALTH_FAILED]: { status: 503, title: 'A health check failed' },
  [ErrorCodes.ACCESS_DENIED]: { status: 403, title: 'The caller may not do this' },
  [ApiErrorCodes.METHOD_NOT_ALLOWED]: { status: 405, title: 'The method is not allowed on this path' },
  [ApiErrorCodes.TASK_NOT_STARTED]: { status: 502, title: 'The issuer task could not be started' },
  [ApiErrorCodes.INTERNAL]: { status: 500, title: 'An internal error' },
};

/** An API-only failure (IssuerError carries the issuer's codes). */
export class ApiProblem extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly options: { readonly hint?: string } = {},
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

/** The problem type URI of a code (a URN: stable, and it says what it is without a network). */
export function problemType(code: ProblemCode): string {
  return `urn:acme-on-aws:problem:${code}`;
}

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: ProblemCode;
  readonly hint?: string;
}

export function problem(code: ProblemCode, detail: string, instance: string, options: { hint?: string | undefined; headers?: Record<string, string> } = {}): LambdaFunctionURLResult {
  const { status, title } = PROBLEMS[code];
  const document: ProblemDocument = { type: problemType(code), title, status, detail, instance, code, ...(options.hint === undefined ? {} : { hint: options.hint }) };
  return { statusCode: status, headers: { 'content-type': 'application/problem+json', ...options.headers }, body: JSON.stringify(document) };
}

/** An IssuerError as its problem document; anything else is a 500 that says nothing of the inside. */
export function problemOf(error: unknown, instance: string): LambdaFunctionURLResult {
  // AWS refusing the API's own role (an S3 read, a KMS key) is not the caller's 403: the caller
  // may do it, the deployment lacks a grant. Such an error carries AWS's answer as its cause; the
  // caller's own refusals (no identity, not the owner) carry none.
  if (error instanceof IssuerError && error.code === ErrorCodes.ACCESS_DENIED && error.cause !== undefined) {
    return problem(ErrorCodes.CONFIG_INVALID, error.message, instance, { hint: error.hint });
  }
  if (error instanceof IssuerError) return problem(error.code, error.message, instance, { hint: error.hint });
  if (error instanceof ApiProblem) return problem(error.code, error.message, instance, { hint: error.options.hint });
  return problem(ApiErrorCodes.INTERNAL, 'the request failed inside the API; its log has the cause', instance);
}
