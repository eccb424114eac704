import { ErrorCodes, IssuerError, keyMatchesCertificate, type PollSchedule } from '../../lib/core/index.js';
import { addressFromDetail, causeTitle, diagnoseCaProblem, statusFromDetail, urlFromDetail, type Diagnosis } from '../../lib/core/diagnosis.js';
import type { AcmeAnswer, AcmeAuthorizationResource, AcmeClient, AcmeOrderResource } from './client.js';
import { createCsrPem } from './csr.js';
import { caError } from './errors.js';
import { createPrivateKeyPem } from './keys.js';
import { waitForStatus } from './poll.js';
import type { IssuedCertificate, OrderHooks, OrderRequest, StepRunner } from './port.js';
import { AcmeProblem } from './problem.js';

/** What the CA said about one name it refused. */
export interface ValidationFailure {
  readonly domain: string;
  readonly problemType: string | undefined;
  readonly detail: string;
  readonly url: string | undefined;
  readonly addressesResolved: readonly string[];
  readonly addressUsed: string | undefined;
  /** The challenge token, to name the URL when the CA's validation record has none (Pebble). */
  readonly token?: string | undefined;
}

export class ValidationError extends IssuerError {
  /** The likely cause of each failure with its fix, in the order of `failures`. */
  readonly diagnoses: readonly Diagnosis[];

  constructor(readonly failures: readonly ValidationFailure[]) {
    super(ErrorCodes.VALIDATION_FAILED, `the CA could not validate ${failures.map((f) => f.domain).join(', ')}:\n${failures.map(describeValidationFailure).join('\n')}`, {
      hint: "fix the cause named for each name, check with `health --domain NAME`, then run again; the previous certificate stays live (Let's Encrypt allows 5 failed validations per name per hour)",
    });
    this.diagnoses = failures.map((f) => diagnoseCaProblem(f));
  }
}

/** The CA's words, its validation record (URL, address, status), then our reading of it. */
function describeValidationFailure(f: ValidationFailure): string {
  const diagnosis = diagnoseCaProblem(f);
  const url = f.url ?? urlFromDetail(f.detail) ?? (f.token === undefined ? undefined : `http://${f.domain}/.well-known/acme-challenge/${f.token} (URL not reported by the CA; built from the challenge)`);
  const address = f.addressUsed ?? addressFromDetail(f.detail);
  const status = statusFromDetail(f.detail);
  const record = [
    url === undefined ? 'GET (URL not reported)' : `GET ${url}`,
    address === undefined ? undefined : `at ${address}`,
    f.addressesResolved.length > 0 ? `(resolved: ${f.addressesResolved.join(', ')})` : undefined,
    status === undefined ? undefined : `answered HTTP ${status}`,
  ].filter((part) => part !== undefined);
  return [
    `  - ${f.domain}: CA problem ${f.problemType ?? '(no type)'}: ${f.detail}`,
    `      validation record: ${record.join(' ')}`,
    `      likely cause: ${causeTitle(diagnosis.cause)}${diagnosis.summary !== causeTitle(diagnosis.cause) ? ` (${diagnosis.summary})` : ''}`,
    `      what to do: ${diagnosis.fix}`,
  ].join('\n');
}

/**
 * One order for all names: every authorization answered at once (the responder already knows
 * the answer, so there is nothing to set up per challenge), then finalize with a fresh key.
 */
export async function orderCertificate(client: AcmeClient, poll: PollSchedule, request: OrderRequest, step: StepRunner, hooks: OrderHooks = {}): Promise<IssuedCertificate> {
  const { onReplacesRefused } = hooks;
  const { domains, keyType } = request;
  // The certificate's key and CSR are made while the CA validates (an RSA key takes 50-200 ms of
  // CPU); neither depends on the validation.
  const keyAndCsr = (request.privateKeyPem === undefined ? createPrivateKeyPem(keyType) : Promise.resolve(request.privateKeyPem)).then((privateKeyPem) => ({ privateKeyPem, csr: createCsrPem(privateKeyPem, domains) }));
  keyAndCsr.catch(() => undefined); // awaited after validation; a failed order first must not leave it unhandled
  const payload = { domains, profile: request.profile };
  // What the order placed says it replaces: nothing once the CA refused `replaces`.
  let replaced = request.replaces;
  const order = await step(
    request.replaces === undefined ? 'create order' : 'create order (replaces previous, ARI)',
    async () => {
      if (request.replaces === undefined) return client.newOrder(payload).catch((e) => Promise.reject(caError('creating the order', e)));
      try {
        return await client.newOrder({ ...payload, replaces: request.replaces });
      } catch (error) {
        // A CA may refuse `replaces` (alreadyReplaced, unknown serial): order without it rather than fail the renewal.
        if (!isReplacesRefused(error)) throw caError('creating the order', error);
        onReplacesRefused?.(error instanceof AcmeProblem ? error.detail : String(error));
        replaced = undefined;
        return client.newOrder(payload).catch((e) => Promise.reject(caError('creating the order', e)));
      }
    },
    () => `${domains.length} name${domains.length === 1 ? '' : 's'}`,
  );
  await step(
    'validate names over HTTP-01',
    async () => {
      // Each name's challenge is answered as soon as its authorization arrives, so the CA is
      // validating the first names while the last authorizations are still being fetched.
      const urls = order.body.authorizations ?? [];
      const pending: AcmeAnswer<AcmeAuthorizationResource>[] = [];
      await Promise.all(
        urls.map(async (url) => {
          const authz = await client.fetch<AcmeAuthorizationResource>(url).catch((e) => Promise.reject(caError('fetching authorizations', e)));
          if (authz.body.status === 'valid') return; // reused by the CA
          pending.push(authz);
          await startValidation(client, authz);
        }),
      );
      // One poll of the order instead of one per name: it turns `ready` once every authorization
      // is valid and `invalid` as soon as one fails (RFC 8555 §7.1.6); the failures are read after.
      try {
        await waitForStatus(client, order.url, poll, { waitFirst: pending.length > 0 });
      } catch (error) {
        const described = await Promise.all(pending.map((authz) => describeFailure(client, authz, authz.body.identifier.value, error)));
        const validation = described.filter((f): f is ValidationFailure => isValidationFailure(f));
        if (validation.length > 0) throw new ValidationError(validation);
        throw caError('validating the names', error);
      }
      return urls.length;
    },
    (count) => `${count} authorization${count === 1 ? '' : 's'} valid`,
  );

  const { privateKeyPem, csr } = await keyAndCsr;
  // Saved before the CA can issue: a crash from here on is finished from this order (resumeOrder).
  await hooks.beforeFinalize?.({ url: order.url, replaces: replaced });
  const finalized = await finalizeOrder(client, poll, order, csr, step);
  const downloaded = await download(client, finalized, step);
  return { fullchainPem: downloaded.pem, privateKeyPem, orderUrl: order.url, directoryUrl: client.directory.url, alternateChains: downloaded.alternates, profile: finalized.body.profile ?? request.profile };
}

/**
 * Finishes an order an earlier run placed and saved before finalizing it (it may have died
 * anywhere after): a `valid` order's certificate is downloaded, a `processing` one waited for, a
 * `ready` one finalized with this key. Undefined when the order cannot give a certificate for
 * this key (gone, invalid, other names, or issued for another key): the caller orders anew.
 */
export async function resumeOrder(
  client: AcmeClient,
  poll: PollSchedule,
  orderUrl: string,
  request: Pick<OrderRequest, 'domains' | 'profile'> & { readonly privateKeyPem: string },
  step: StepRunner,
): Promise<IssuedCertificate | undefined> {
  let order: AcmeAnswer<AcmeOrderResource>;
  try {
    order = { ...(await client.fetch<AcmeOrderResource>(orderUrl)), url: orderUrl };
  } catch {
    return undefined; // expired or unknown at the CA
  }
  const names = order.body.identifiers.map((i) => i.value).sort();
  if (names.join(',') !== [...request.domains].sort().join(',')) return undefined;
  let finalized = order;
  if (order.body.status === 'ready') finalized = await finalizeOrder(client, poll, order, createCsrPem(request.privateKeyPem, request.domains), step);
  else if (order.body.status === 'processing') finalized = await waitForStatus<AcmeOrderResource>(client, orderUrl, poll).catch((e: unknown) => Promise.reject(caError('finalizing the order', e)));
  else if (order.body.status !== 'valid') return undefined;
  const downloaded = await download(client, finalized, step);
  if (!keyMatchesCertificate(downloaded.pem, request.privateKeyPem)) return undefined;
  return { fullchainPem: downloaded.pem, privateKeyPem: request.privateKeyPem, orderUrl, directoryUrl: client.directory.url, alternateChains: downloaded.alternates, profile: finalized.body.profile ?? request.profile };
}

async function finalizeOrder(client: AcmeClient, poll: PollSchedule, order: AcmeAnswer<AcmeOrderResource>, csr: string, step: StepRunner): Promise<AcmeAnswer<AcmeOrderResource>> {
  return step('finalize order', async () => {
    try {
      const submitted = await client.finalize(order, csr);
      // `processing` (§7.1.6) is polled with the CA's Retry-After.
      return submitted.body.status === 'valid' ? submitted : await waitForStatus<AcmeOrderResource>(client, order.url, poll);
    } catch (error) {
      throw caError('finalizing the order', error);
    }
  });
}

async function download(client: AcmeClient, finalized: AcmeAnswer<AcmeOrderResource>, step: StepRunner): Promise<{ pem: string; alternates: string[] }> {
  return step('download certificate', async () => {
    const url = finalized.body.certificate;
    if (url === undefined) throw new IssuerError(ErrorCodes.ORDER_FAILED, `the CA's valid order ${finalized.url} names no certificate URL`, { hint: 'run again; report it to the CA if it persists' });
    try {
      const certificate = await client.downloadCertificate(url);
      return { pem: certificate.pem, alternates: await client.alternateChains(certificate) };
    } catch (error) {
      throw caError('downloading the certificate', error);
    }
  });
}

/** Tells the CA our responder is ready for this name (it already is: the answer is the account's). */
async function startValidation(client: AcmeClient, authz: AcmeAnswer<AcmeAuthorizationResource>): Promise<void> {
  const domain = authz.body.identifier.value;
  const challenge = authz.body.challenges.find((c) => c.type === 'http-01');
  if (challenge === undefined) {
    throw new IssuerError(ErrorCodes.ORDER_FAILED, `the CA offers no http-01 challenge for ${domain}`, {
      hint: 'this issuer answers HTTP-01 only; use a CA or name for which HTTP-01 is offered',
    });
  }
  try {
    await client.answerChallenge(challenge.url);
  } catch (error) {
    throw await describeFailure(client, authz, domain, error);
  }
}

/** Reads the authorization once more to get the CA's problem document and validation record: a ValidationFailure, or `error` itself when there is none. */
async function describeFailure(client: AcmeClient, authz: AcmeAnswer<AcmeAuthorizationResource>, domain: string, error: unknown): Promise<unknown> {
  try {
    const response = await client.fetch<AcmeAuthorizationResource>(authz.url);
    const challenge = response.body.challenges.find((c) => c.type === 'http-01');
    if (challenge?.status !== 'invalid') return error;
    const record = challenge.validationRecord?.[0];
    return {
      domain,
      problemType: challenge.error?.type,
      detail: challenge.error?.detail ?? (error instanceof Error ? error.message : String(error)),
      url: record?.url,
      addressesResolved: record?.addressesResolved ?? [],
      addressUsed: record?.addressUsed,
      token: challenge.token,
    } satisfies ValidationFailure;
  } catch {
    return error;
  }
}

function isValidationFailure(value: unknown): value is ValidationFailure {
  return typeof value === 'object' && value !== null && 'domain' in value && 'detail' in value && !(value instanceof Error);
}

/** RFC 9773 §5: the CA refuses `replaces` with alreadyReplaced, or (older CAs) a malformed naming it. */
function isReplacesRefused(error: unknown): boolean {
  if (error instanceof AcmeProblem) return error.kind === 'alreadyReplaced' || /replace/i.test(error.detail);
  return false;
}
