import { ErrorCodes, IssuerError, type ErrorCode } from '../../lib/core/index.js';
import { AcmeProblem } from './problem.js';

/**
 * What to do about a problem type the CA answered a request with (RFC 8555 §6.7 and RFC 9773's
 * alreadyReplaced). Validation problems (dns, connection, unauthorized, ... on a challenge) are
 * read by order.ts's ValidationError instead, with the validation record.
 */
const PROBLEM_HINTS: Readonly<Record<string, string>> = {
  rateLimited: "the CA's rate limit: the renewal record holds this certificate until the time above; the previous certificate stays live (Let's Encrypt limits: https://letsencrypt.org/docs/rate-limits/)",
  caa: 'a CAA record of the name forbids this CA, this account or http-01: `register` prints the record that allows them (`0 issue "<CA>; accounturi=<account URL>; validationmethods=http-01"`, also in account/caa.json); publish it, wait for its TTL, then run again',
  badNonce: 'the CA kept refusing fresh nonces; run again (a CA under load recovers)',
  alreadyReplaced: 'the certificate named in `replaces` was already renewed; the next run orders without `replaces`',
  unauthorized: 'the CA refused this account: check the account is valid (`health`) and allowed to order these names',
  accountDoesNotExist: 'the CA does not know the account key: run `register`',
  externalAccountRequired: 'the CA requires external account binding: set ACME_EAB_KID and ACME_EAB_HMAC_KEY from your CA',
  rejectedIdentifier: 'the CA will not issue for one of the names (policy or public suffix): remove it from the certificate',
  unsupportedIdentifier: 'the CA will not issue for one of the names (policy or public suffix): remove it from the certificate',
  invalidProfile: 'the CA does not offer this ACME_PROFILE: use one its directory lists under meta.profiles, or none',
  userActionRequired: "the CA needs you to act first (e.g. accept new terms of service): see the CA's instructions",
  serverInternal: 'the CA failed; run again later (the previous certificate stays live)',
  badCSR: 'the CA refused the certificate request (key type or names): check CERT_KEY_TYPE and the names',
  badPublicKey: 'the CA refused the key type: use CERT_KEY_TYPE ec-p256 or rsa-2048',
  badRevocationReason: 'the CA refused the revocation reason: use one of the reasons `revoke --help` lists',
  alreadyRevoked: 'the certificate was revoked already',
};

/**
 * Our client throws AcmeProblems (the CA's problem document), transport.ts network errors when the
 * CA cannot be reached, or plain Errors (an order that went invalid). This turns each into an
 * IssuerError that says which step failed; the code is the caller's (as it was before the client
 * was ours), the hint the problem type's.
 */
export function caError(step: string, error: unknown, code: ErrorCode = ErrorCodes.ORDER_FAILED): IssuerError {
  if (error instanceof IssuerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // A proxy refusing the tunnel (proxy-tunnel.ts) is the network path too; the match is exact, as a
  // CA's detail may say "connection" of a validation.
  if (!(error instanceof AcmeProblem) && (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up|certificate|self.signed|ECONNRESET/i.test(message) || / to CONNECT /.test(message))) {
    return new IssuerError(ErrorCodes.CA_UNAVAILABLE, `${step}: the CA could not be reached (${message})`, {
      hint: 'check ACME_DIRECTORY and the network path to the CA (for a private CA, ACME_TLS_CA_FILE must name its TLS root; behind a proxy, HTTPS_PROXY and NO_PROXY)',
      cause: error,
    });
  }
  const hint = error instanceof AcmeProblem ? PROBLEM_HINTS[error.kind] : undefined;
  return new IssuerError(code, `${step}: the CA answered: ${message}`, { ...(hint === undefined ? {} : { hint }), cause: error });
}
