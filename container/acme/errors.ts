import { ErrorCodes, IssuerError, type ErrorCode } from '../../lib/core/index.js';

/**
 * acme-client throws plain Errors whose message is the CA's problem detail, or network errors
 * (transport.ts) when the CA cannot be reached. This turns either into an IssuerError that says which step failed.
 */
export function caError(step: string, error: unknown, code: ErrorCode = ErrorCodes.ORDER_FAILED): IssuerError {
  if (error instanceof IssuerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // acme-client 5.4's axios path (used only behind an HTTPS proxy, see transport.ts) retries a
  // request that got no response, then throws this TypeError instead of the network error.
  const lostNetworkError = error instanceof TypeError && /reading 'config'/.test(message);
  const unreachable = lostNetworkError || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up|certificate|self.signed|ECONNRESET/i.test(message);
  if (unreachable) {
    const detail = lostNetworkError ? 'no answer to any of acme-client\'s retries' : message;
    return new IssuerError(ErrorCodes.CA_UNAVAILABLE, `${step}: the CA could not be reached (${detail})`, {
      hint: 'check ACME_DIRECTORY and the network path to the CA (for a private CA, ACME_TLS_CA_FILE must name its TLS root)',
      cause: error,
    });
  }
  return new IssuerError(code, `${step}: the CA answered: ${message}`, { cause: error });
}
