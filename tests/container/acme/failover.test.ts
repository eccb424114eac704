// Which failures move an order to the next CA (container/acme/failover.ts failoverReason): the
// CA's own (outage, rate limit, refusal) do, ours (pre-flight, validation, S3, configuration,
// a request every CA would refuse) do not. The errors are the ones our client makes: problem
// documents as AcmeProblem, wrapped by caError the way order.ts and account.ts wrap them.
import { describe, expect, it } from 'vitest';
import { caError } from '../../../container/acme/errors.js';
import { failoverReason } from '../../../container/acme/failover.js';
import { AcmeProblem } from '../../../container/acme/problem.js';
import { ErrorCodes, IssuerError } from '../../../lib/core/index.js';

const problem = (kind: string, status: number) => new AcmeProblem(`urn:ietf:params:acme:error:${kind}`, `${kind} detail`, status, 'https://ca.example/new-order', undefined);
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:14000'), { code: 'ECONNREFUSED' });

describe('failoverReason', () => {
  it.each([
    ['the CA refusing connections', caError('reading the CA directory', refused, ErrorCodes.CA_UNAVAILABLE), 'outage'],
    ['a timeout', caError('creating the order', new Error('ETIMEDOUT after 45000 ms')), 'outage'],
    ['a 5xx problem', caError('creating the order', problem('serverInternal', 500)), 'outage'],
    ['a 503 without a type', caError('finalizing the order', new AcmeProblem('about:blank', 'HTTP 503', 503, 'https://ca.example/finalize', undefined)), 'outage'],
    ['a rate limit', caError('creating the order', problem('rateLimited', 429)), 'rate limit'],
    ['a refused identifier', caError('creating the order', problem('rejectedIdentifier', 400)), 'refused'],
    ['the CA CAA check', caError('finalizing the order', problem('caa', 403)), 'refused'],
    ['EAB required at this CA', caError('registering the ACME account', problem('externalAccountRequired', 400), ErrorCodes.CA_UNAVAILABLE), 'refused'],
    ['a policy refusal of the account', caError('creating the order', problem('unauthorized', 403)), 'refused'],
    ['an order the CA made invalid without a problem', new IssuerError(ErrorCodes.ORDER_FAILED, "the CA's valid order names no certificate URL"), 'refused'],
  ])('%s: the next CA (%s)', (_, error, reason) => {
    expect(failoverReason(error)).toBe(reason);
  });

  it.each([
    ['a failed pre-flight', new IssuerError(ErrorCodes.PREFLIGHT_FAILED, 'shop.example.com does not reach the responder')],
    ['a failed validation', new IssuerError(ErrorCodes.VALIDATION_FAILED, 'the CA could not validate shop.example.com')],
    ['S3', new IssuerError(ErrorCodes.STORAGE_UNAVAILABLE, 's3 could not be written')],
    ['ACM', new IssuerError(ErrorCodes.ACM_FAILED, 'ACM refused the import')],
    ['configuration', new IssuerError(ErrorCodes.CONFIG_INVALID, 'configuration is not valid')],
    ['a bad CSR', caError('finalizing the order', problem('badCSR', 400))],
    ['an unknown profile', caError('creating the order', problem('invalidProfile', 400))],
    ['a bug of ours', new TypeError('x is undefined')],
  ])('%s: stops', (_, error) => {
    expect(failoverReason(error)).toBeUndefined();
  });
});
