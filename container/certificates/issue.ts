// The issuance pipeline (plan, order, archive, publish, deploy) and the record of each attempt.
import { IssuerError, nextRetryAt, withState, rateLimitRetryAfter, type AcmRecord, type KeyType, type ObjectStore, type RenewalRecord } from '../../lib/core/index.js';
import type { CertificateIssuer, IssuedCertificate } from '../acme/port.js';
import { archiveVersion, certificateFiles } from './archive.js';
import { deployPublished, type DeployDeps } from './deploy.js';
import { indexEntryOf, putIndexEntry } from '../../lib/store/index-store.js';
import { planOrder, type PlanDeps } from './plan.js';
import { publishVersion, type Published } from './publish.js';
import type { RetiredOutcome } from './retire.js';
import { loadRecord, saveRecord, transition, type LoadedRecord } from '../../lib/store/records.js';

export interface IssueRequest {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  /** The CAs to order from in turn when one fails for a reason of its own (directoryUrl first); undefined: directoryUrl alone. */
  readonly directoryUrls?: readonly string[] | undefined;
  readonly profile: string | undefined;
  /** ARI CertID of the certificate this one replaces (RFC 9773 §5), sent in the order. */
  readonly replaces: string | undefined;
  /** The CA that issued the certificate `replaces` names: only it is sent `replaces`. */
  readonly replacesAt?: string | undefined;
  /** A state the certificate passed through first (renewal-due, expired), written with `issuing` in one go. */
  readonly precedingState?: 'renewal-due' | 'expired';
  /** Why this issuance happens, recorded in the state history ("issue command", "renewal due", ...). */
  readonly cause: string;
  readonly allowNewArn: boolean;
  readonly renewBeforeDays: number | undefined;
  /** Order with a new private key even when the live one could be reused (--rotate-key). */
  readonly rotateKey?: boolean | undefined;
}

export interface IssueDeps extends PlanDeps, DeployDeps {
  /** The CA (or the certificate's CAs in failover order), behind the port (container/acme/port.ts). */
  readonly issuer: Pick<CertificateIssuer, 'issue' | 'resume'>;
}

export interface IssueOutcome {
  readonly published: Published;
  readonly acm: readonly AcmRecord[];
  readonly record: RenewalRecord;
  /** Old ACM ARNs a key-type change replaced this run, and what became of each. */
  readonly replacedAcm: readonly RetiredOutcome[];
}

/**
 * One issuance, for `issue` and `renew` alike, as a pipeline of steps each in its own module:
 * plan (plan.ts: pre-flight, key), order (acme/order.ts), archive (archive.ts), publish
 * (publish.ts: live pointer, then live copies), deploy (deploy.ts: ACM, exports, record `active`,
 * index). The caller holds the lease and announces the outcome (commands/issuance.ts). Any
 * failure is recorded as `failed` with the error, the attempt count and the next retry time; the
 * previous live certificate is untouched because nothing live changes before the new one is
 * complete.
 */
export async function issueCertificate(deps: IssueDeps, request: IssueRequest): Promise<IssueOutcome> {
  const { store, progress, now } = deps;
  const existing = await loadRecord(store, request.name);
  // The latest version of the record this run wrote (the order is saved into it before finalize).
  let loaded = await recordIssuing(store, existing, request, now());
  try {
    // Inside the try: a name that does not reach us is a failure with back-off, like any other.
    const plan = await planOrder(deps, request, existing?.record);
    const step = progress.step.bind(progress);
    let issued = await resumeSaved(deps, loaded, request, plan.privateKeyPem, existing?.record.directoryUrl);
    if (issued === undefined && loaded.record.pendingOrder !== undefined) loaded = await saveRecord(store, { record: { ...loaded.record, pendingOrder: undefined }, etag: loaded.etag });
    issued ??= await deps.issuer.issue({ ...request, privateKeyPem: plan.privateKeyPem }, step, {
      onReplacesRefused: (detail) => progress.info(`the CA refused \`replaces\` (${detail}); ordered without \`replaces\``, { name: request.name }),
      beforeFinalize: async ({ url, replaces }) => {
        const pendingOrder = { url, ...(replaces === undefined ? {} : { replaces }), liveKey: plan.privateKeyPem !== undefined, savedAt: now().toISOString() };
        loaded = await saveRecord(store, { record: { ...loaded.record, pendingOrder }, etag: loaded.etag });
      },
    });
    const files = certificateFiles(issued.fullchainPem, issued.privateKeyPem);
    // The CA that issued (after any failover) is the one archived, recorded, asked for ARI and revoked at.
    const issuedBy = { ...request, directoryUrl: issued.directoryUrl ?? request.directoryUrl };
    const published = await progress.step(
      'store in S3 (archive, then live)',
      async () => publishVersion(store, request.name, await archiveVersion(store, request.name, files, issuedBy.directoryUrl, now())),
      (p) => `serial ${p.info.serial}`,
    );
    // The profile the CA used is the one every renewal asks for (renew.ts), also when none was asked for
    const issuedUnder = { ...loaded, record: { ...loaded.record, profile: issued.profile } };
    const deployed = await deployPublished(
      deps,
      issuedUnder,
      files,
      published.info,
      published.metadata,
      issuedBy,
      `issued serial ${published.info.serial}${issuedBy.directoryUrl === request.directoryUrl ? '' : ` by ${issuedBy.directoryUrl}`}`,
    );
    return { published, acm: deployed.record.acm, record: deployed.record, replacedAcm: deployed.replacedAcm };
  } catch (error) {
    await recordFailure(store, loaded, error, now());
    throw error;
  }
}

/**
 * The order an interrupted run saved before finalizing, finished instead of ordering again (a
 * second order with the same `replaces` is refused once the first was finalized). Only an order
 * for the live key can be used: a new key made by the dead run died with it, so such an order is
 * left and a new one placed.
 */
async function resumeSaved(deps: IssueDeps, loaded: LoadedRecord, request: IssueRequest, liveKey: string | undefined, previousCa: string | undefined): Promise<IssuedCertificate | undefined> {
  const pending = loaded.record.pendingOrder;
  if (pending === undefined) return undefined;
  const usable = pending.liveKey && liveKey !== undefined && previousCa === request.directoryUrl;
  const issued = usable ? await deps.issuer.resume(pending.url, { domains: request.domains, profile: request.profile, privateKeyPem: liveKey }, deps.progress.step.bind(deps.progress)) : undefined;
  deps.progress.info(
    issued !== undefined
      ? `recovered the certificate of the order an interrupted run saved (${pending.url}): no second order${pending.replaces === undefined ? '' : ' replacing the same certificate'}`
      : `the order an interrupted run saved (${pending.url}) cannot give a certificate for ${usable ? 'this key (gone, invalid or for other names)' : 'the key this run orders with'}; ordering anew`,
    { name: request.name, pendingOrder: pending.url, recovered: issued !== undefined },
  );
  return issued;
}

/**
 * The record says `issuing` (after any preceding state, in the same write) and the index said it
 * first, so a sweep after a crash at any point from here on finds the work unfinished (the
 * record, re-read under the lease, then decides).
 */
async function recordIssuing(store: ObjectStore, existing: LoadedRecord | undefined, request: IssueRequest, at: Date): Promise<LoadedRecord> {
  const base: LoadedRecord = existing ?? { record: newRecord(request, at), etag: undefined };
  const due = request.precedingState === undefined || existing === undefined ? base.record : withState(base.record, request.precedingState, request.cause, at);
  // The profile changes only with a certificate issued under it (below): one the CA refuses must not become the one renewals ask for
  const issuing = withState({ ...due, domains: request.domains, keyType: request.keyType, directoryUrl: request.directoryUrl }, 'issuing', request.cause, at);
  await putIndexEntry(store, request.name, indexEntryOf(issuing));
  return saveRecord(store, { record: issuing, etag: base.etag });
}

function newRecord(request: IssueRequest, at: Date): RenewalRecord {
  return {
    name: request.name,
    domains: request.domains,
    keyType: request.keyType,
    directoryUrl: request.directoryUrl,
    state: 'pending',
    serial: undefined,
    notAfter: undefined,
    acm: [],
    lastError: undefined,
    history: [{ at: at.toISOString(), state: 'pending', cause: request.cause }],
    updatedAt: at.toISOString(),
  };
}

/**
 * Best effort: when S3 itself is what failed, the record cannot be written and the error is what
 * matters. A rate limit holds the certificate until the CA's time; other failures back off.
 */
async function recordFailure(store: ObjectStore, loaded: LoadedRecord, error: unknown, at: Date): Promise<void> {
  const code = error instanceof IssuerError ? error.code : 'ERR_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  const failedAttempts = (loaded.record.failedAttempts ?? 0) + 1;
  const { notBefore, notAfter } = loaded.record;
  const live = notBefore === undefined || notAfter === undefined ? undefined : { notBefore: new Date(notBefore), notAfter: new Date(notAfter) };
  const retryAt = nextRetryAt(failedAttempts, at, rateLimitRetryAfter(message, at), live).toISOString();
  try {
    const failed = await transition(store, loaded, 'failed', code, at, { lastError: { at: at.toISOString(), code, message }, failedAttempts, retryAt });
    await putIndexEntry(store, loaded.record.name, indexEntryOf(failed.record));
  } catch {
    // S3 is what failed; the error being thrown says so.
  }
}
