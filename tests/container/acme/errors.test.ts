// Every problem type the client maps (container/acme/errors.ts), as a CA's answer would carry it,
// read into the error the user gets: the step, the CA's words and type, and what to do.
import { describe, expect, it } from 'vitest';
import { caError } from '../../../container/acme/errors.js';
import { problemOf } from '../../../container/acme/problem.js';
import { rateLimitRetryAfter } from '../../../lib/core/index.js';

const answer = (status: number, type: string, detail: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'content-type': 'application/problem+json', ...headers },
  data: { type: `urn:ietf:params:acme:error:${type}`, detail },
});

const HINTS: readonly [type: string, status: number, hint: RegExp][] = [
  ['rateLimited', 429, /rate limit.*previous certificate stays live/],
  ['caa', 403, /CAA record/],
  ['badNonce', 400, /refusing fresh nonces/],
  ['alreadyReplaced', 409, /without `replaces`/],
  ['unauthorized', 403, /refused this account/],
  ['accountDoesNotExist', 400, /run `register`/],
  ['externalAccountRequired', 403, /ACME_EAB_KID/],
  ['rejectedIdentifier', 400, /remove it/],
  ['unsupportedIdentifier', 400, /remove it/],
  ['invalidProfile', 400, /ACME_PROFILE/],
  ['userActionRequired', 403, /act first/],
  ['serverInternal', 500, /run again later/],
  ['badCSR', 400, /CERT_KEY_TYPE/],
  ['badPublicKey', 400, /CERT_KEY_TYPE/],
  ['badRevocationReason', 400, /revocation reason/],
  ['alreadyRevoked', 400, /revoked already/],
];

describe('caError of a problem document', () => {
  it.each(HINTS)("%s: names the step, the CA's detail and type, and says what to do", (type, status, hint) => {
    const problem = problemOf(answer(status, type, `the CA's words for ${type}`), 'https://ca.example/acme/x', new Date());
    expect(problem.kind).toBe(type);
    const error = caError('creating the order', problem);
    expect(error.code).toBe('ERR_ORDER_FAILED');
    expect(error.message).toBe(`creating the order: the CA answered: the CA's words for ${type} (${type}, HTTP ${status})`);
    expect(error.hint).toMatch(hint);
  });

  it('keeps the code the caller gives (registering the account is CA_UNAVAILABLE)', () => {
    expect(caError('registering', problemOf(answer(403, 'unauthorized', 'no'), 'u', new Date()), 'ERR_CA_UNAVAILABLE').code).toBe('ERR_CA_UNAVAILABLE');
  });

  it("carries a rate limit's Retry-After so the renewal record holds the certificate until then", () => {
    const now = new Date('2026-12-02T03:00:00Z');
    const problem = problemOf(answer(429, 'rateLimited', 'too many new orders recently', { 'retry-after': '3600' }), 'https://ca.example/new-order', now);
    expect(problem.retryAfter).toEqual(new Date('2026-12-02T04:00:00Z'));
    const error = caError('creating the order', problem);
    expect(error.message).toMatch(/retry after 2026-12-02T04:00:00.000Z/);
    expect(rateLimitRetryAfter(error.message, now)).toEqual(new Date('2026-12-02T04:00:00Z'));
  });

  it("names each subproblem's identifier (RFC 8555 §6.7.1)", () => {
    const problem = problemOf(
      {
        status: 400,
        headers: {},
        data: {
          type: 'urn:ietf:params:acme:error:rejectedIdentifier',
          detail: 'some names refused',
          subproblems: [{ type: 'urn:ietf:params:acme:error:caa', detail: 'CAA forbids', identifier: { type: 'dns', value: 'x.example.com' } }],
        },
      },
      'u',
      new Date(),
    );
    expect(problem.message).toMatch(/\[x\.example\.com: CAA forbids\]$/);
  });

  it('says what came when the answer is not a problem document', () => {
    const problem = problemOf({ status: 502, headers: {}, data: '<html>bad gateway</html>' }, 'https://ca.example/acme/x', new Date());
    expect(problem.type).toBe('about:blank');
    expect(caError('finalizing the order', problem).message).toBe('finalizing the order: the CA answered: <html>bad gateway</html> (about:blank, HTTP 502)');
  });

  it('calls a refused connection unreachable, with the network hint', () => {
    const error = caError('reading the CA directory', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:14000'), { code: 'ECONNREFUSED' }));
    expect(error.code).toBe('ERR_CA_UNAVAILABLE');
    expect(error.hint).toMatch(/ACME_DIRECTORY.*HTTPS_PROXY/);
  });
});
