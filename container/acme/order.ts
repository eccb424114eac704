import acme from 'acme-client';
import { ErrorCodes, IssuerError, type KeyType } from '../../lib/core/index.js';
import { caError } from './errors.js';
import { createPrivateKeyPem } from './keys.js';

export interface IssuedCertificate {
  /** Leaf first, then the chain, as the CA sent it. */
  readonly fullchainPem: string;
  /** The certificate's fresh private key (PKCS#8 PEM). Never logged. */
  readonly privateKeyPem: string;
  readonly orderUrl: string;
}

/** What the CA said about one name it refused. */
export interface ValidationFailure {
  readonly domain: string;
  readonly problemType: string | undefined;
  readonly detail: string;
  readonly url: string | undefined;
  readonly addressesResolved: readonly string[];
  readonly addressUsed: string | undefined;
}

export class ValidationError extends IssuerError {
  constructor(readonly failures: readonly ValidationFailure[]) {
    super(
      ErrorCodes.VALIDATION_FAILED,
      `the CA could not validate ${failures.map((f) => f.domain).join(', ')}:\n${failures
        .map((f) => `  - ${f.domain}: ${f.problemType ?? 'error'}: ${f.detail}${f.url ? ` (GET ${f.url}${f.addressUsed ? ` at ${f.addressUsed}` : ''})` : ''}`)
        .join('\n')}`,
      { hint: 'make each name resolve to the ALB (CNAME) and port 80 reach it, then run again; the previous certificate stays live' },
    );
  }
}

interface ChallengeWithRecord {
  readonly type: string;
  readonly url: string;
  readonly status: string;
  readonly error?: { type?: string; detail?: string };
  readonly validationRecord?: { url?: string; addressesResolved?: string[]; addressUsed?: string }[];
}

/**
 * One order for all names: every authorization answered at once (the responder already knows
 * the answer, so there is nothing to set up per challenge), then finalize with a fresh key.
 */
export async function orderCertificate(
  client: acme.Client,
  domains: readonly string[],
  keyType: KeyType,
  step: <T>(title: string, run: () => Promise<T>, describe?: (value: T) => string) => Promise<T>,
): Promise<IssuedCertificate> {
  const order = await step(
    'create order',
    () => client.createOrder({ identifiers: domains.map((value) => ({ type: 'dns', value })) }).catch((e) => Promise.reject(caError('creating the order', e))),
    (o) => `${domains.length} name${domains.length === 1 ? '' : 's'}`,
  );
  const authorizations = await client.getAuthorizations(order).catch((e) => Promise.reject(caError('fetching authorizations', e)));

  await step(
    'validate names over HTTP-01',
    async () => {
      const results = await Promise.allSettled(authorizations.map((authz) => answer(client, authz)));
      const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      if (failures.length === 0) return results.length;
      const validation = failures.filter((f): f is ValidationFailure => isValidationFailure(f));
      if (validation.length > 0) throw new ValidationError(validation);
      throw caError('validating the names', failures[0]);
    },
    (count) => `${count} authorization${count === 1 ? '' : 's'} valid`,
  );

  const privateKeyPem = await createPrivateKeyPem(keyType);
  const [, csr] = await acme.crypto.createCsr({ commonName: domains[0]!, altNames: [...domains] }, privateKeyPem);
  const finalized = await step('finalize order', async () => {
    try {
      const submitted = await client.finalizeOrder(order, csr);
      return submitted.status === 'valid' ? submitted : await client.waitForValidStatus(submitted);
    } catch (error) {
      throw caError('finalizing the order', error);
    }
  });
  const fullchainPem = await step('download certificate', () =>
    client.getCertificate(finalized).catch((e) => Promise.reject(caError('downloading the certificate', e))),
  );
  return { fullchainPem, privateKeyPem, orderUrl: order.url };
}

async function answer(client: acme.Client, authz: acme.Authorization): Promise<void> {
  if (authz.status === 'valid') return; // reused by the CA from an earlier validation
  const domain = authz.identifier.value;
  const challenge = authz.challenges.find((c) => c.type === 'http-01');
  if (challenge === undefined) {
    throw new IssuerError(ErrorCodes.ORDER_FAILED, `the CA offers no http-01 challenge for ${domain}`, {
      hint: 'this issuer answers HTTP-01 only; use a CA or name for which HTTP-01 is offered',
    });
  }
  try {
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);
  } catch (error) {
    throw await describeFailure(client, authz, domain, error);
  }
}

/** Reads the authorization once more to get the CA's problem document and validation record. */
async function describeFailure(client: acme.Client, authz: acme.Authorization, domain: string, error: unknown): Promise<ValidationFailure | unknown> {
  try {
    const response = await (client as unknown as { api: { apiRequest(url: string, payload: null, codes: number[]): Promise<{ data: acme.Authorization }> } }).api.apiRequest(authz.url, null, [200]);
    const challenge = (response.data.challenges as unknown as ChallengeWithRecord[]).find((c) => c.type === 'http-01');
    if (challenge?.status !== 'invalid') return error;
    const record = challenge.validationRecord?.[0];
    return {
      domain,
      problemType: challenge.error?.type,
      detail: challenge.error?.detail ?? (error instanceof Error ? error.message : String(error)),
      url: record?.url,
      addressesResolved: record?.addressesResolved ?? [],
      addressUsed: record?.addressUsed,
    } satisfies ValidationFailure;
  } catch {
    return error;
  }
}

function isValidationFailure(value: unknown): value is ValidationFailure {
  return typeof value === 'object' && value !== null && 'domain' in value && 'detail' in value && !(value instanceof Error);
}
