import { ErrorCodes, type ErrorCode } from '../lib/core/index.js';

/** The CLI's exit codes, one table (documented in docs/cli.md). */
export const ExitCodes = {
  OK: 0,
  INTERNAL: 1,
  USAGE_OR_CONFIG: 2,
  VALIDATION_FAILED: 3,
  CA_FAILED: 4,
  STORAGE_FAILED: 5,
  ACM_FAILED: 6,
  LOCK_HELD: 7,
  NOT_FOUND: 8,
  PREFLIGHT_FAILED: 9,
  HEALTH_FAILED: 10,
  ACCESS_DENIED: 11,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

export const exitCodeOf: Record<ErrorCode, ExitCode> = {
  [ErrorCodes.CONFIG_INVALID]: ExitCodes.USAGE_OR_CONFIG,
  [ErrorCodes.USAGE]: ExitCodes.USAGE_OR_CONFIG,
  [ErrorCodes.BAD_INPUT]: ExitCodes.USAGE_OR_CONFIG,
  [ErrorCodes.BAD_TOKEN]: ExitCodes.USAGE_OR_CONFIG,
  [ErrorCodes.NOT_REGISTERED]: ExitCodes.USAGE_OR_CONFIG,
  [ErrorCodes.VALIDATION_FAILED]: ExitCodes.VALIDATION_FAILED,
  [ErrorCodes.CA_UNAVAILABLE]: ExitCodes.CA_FAILED,
  [ErrorCodes.ORDER_FAILED]: ExitCodes.CA_FAILED,
  [ErrorCodes.STORAGE_UNAVAILABLE]: ExitCodes.STORAGE_FAILED,
  [ErrorCodes.STORAGE_CORRUPT]: ExitCodes.STORAGE_FAILED,
  [ErrorCodes.CONFLICT]: ExitCodes.STORAGE_FAILED,
  [ErrorCodes.ACM_FAILED]: ExitCodes.ACM_FAILED,
  // A hand-over (Secrets Manager, SSM, listener) is an AWS write after the ACM import, like it.
  [ErrorCodes.EXPORT_FAILED]: ExitCodes.ACM_FAILED,
  [ErrorCodes.LOCK_HELD]: ExitCodes.LOCK_HELD,
  [ErrorCodes.NOT_FOUND]: ExitCodes.NOT_FOUND,
  [ErrorCodes.PREFLIGHT_FAILED]: ExitCodes.PREFLIGHT_FAILED,
  [ErrorCodes.HEALTH_FAILED]: ExitCodes.HEALTH_FAILED,
  // Whatever the step (S3, ACM, an export): a permission is missing, and the fix is the same kind.
  [ErrorCodes.ACCESS_DENIED]: ExitCodes.ACCESS_DENIED,
};
