import {
  IssuerError,
  assertPairMatches,
  layout,
  nextRetryAt,
  withState,
  rateLimitRetryAfter,
  type AcmRecord,
  type CertificateInfo,
  type KeyType,
  type LiveMetadata,
  type ObjectStore,
  type RenewalRecord,
  type RetiredAcmRecord,
} from '../../lib/core/index.js';
import type { CertificateIssuer } from '../acme/port.js';
import type { AcmImporter } from '../aws/acm-importer.js';
import type { CertificateExporter } from '../exports/export.js';
import type { Progress } from '../progress.js';
import { certificateFiles, publishCertificate, type CertificateFiles, type Published } from './archive.js';
import { indexEntryOf, putIndexEntry } from './index-store.js';
import { reusableKey } from './key-reuse.js';
import { planRenewal } from './plan.js';
import { listenersOf, retireAcm, type RetiredOutcome } from './retire.js';
import { loadRecord, saveRecord, transition, type LoadedRecord } from './records.js';

export interface IssueRequest {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  readonly profile: string | undefined;
  /** ARI CertID of the certificate this one replaces (RFC 9773 §5), sent in the order. */
  readonly replaces: string | undefined;
  /** A state the certificate passed through first (renewal-due, expired), written with `issuing` in one go. */
  readonly precedingState?: 'renewal-due' | 'expired';
  /** Why this issuance happens, recorded in the state history ("issue command", "renewal due", ...). */
  readonly cause: string;
  readonly allowNewArn: boolean;
  readonly renewBeforeDays: number | undefined;
  /** Order with a new private key even when the live one could be reused (--rotate-key). */
  readonly rotateKey?: boolean | undefined;
}

export interface IssueDeps {
  readonly store: ObjectStore;
  /** The CA, behind the port (container/acme/port.ts). */
  readonly issuer: CertificateIssuer;
  /** One importer per ACM region (empty when ACM import is off). */
  readonly acm: readonly AcmImporter[];
  /** Secrets Manager / SSM / HTTPS listener hand-over; undefined when none is configured. */
  readonly exports?: CertificateExporter | undefined;
  readonly progress: Progress;
  readonly now: () => Date;
  /** Checks every name reaches our responder before anything is ordered (skipped when undefined). */
  readonly preflight?: ((domains: readonly string[]) => Promise<unknown>) | undefined;
}

export interface IssueOutcome {
  readonly published: Published;
  readonly acm: readonly AcmRecord[];
  readonly record: RenewalRecord;
  /** Old ACM ARNs a key-type change replaced this run, and what became of each. */
  readonly replacedAcm: readonly RetiredOutcome[];
}

/**
 * The whole life of one issuance: state to issuing, order, archive then live, ACM (same ARN),
 * renewal plan, state to active, index entry. Any failure is recorded as `failed` with the
 * error, the attempt count and the next retry time; the previous live certificate is untouched
 * because nothing live changes before the new one is complete. Callers hold the lease.
 */
export async function issueCertificate(deps: IssueDeps, request: IssueRequest): Promise<IssueOutcome> {
  const { store, progress, now } = deps;
  const existing = await loadRecord(store, request.name);
  const base: LoadedRecord = existing ?? { record: newRecord(request, now()), etag: undefined };
  const due = request.precedingState === undefined || existing === undefined ? base.record : withState(base.record, request.precedingState, request.cause, now());
  const issuing = withState(
    { ...due, domains: request.domains, keyType: request.keyType, directoryUrl: request.directoryUrl, profile: request.profile },
    'issuing',
    request.cause,
    now(),
  );
  // The index says "issuing" before the record does, so a sweep after a crash at any point from
  // here on finds the work unfinished (the record, re-read under the lease, then decides).
  await putIndexEntry(store, request.name, indexEntryOf(issuing));
  let loaded: LoadedRecord = await saveRecord(store, { record: issuing, etag: base.etag });
  try {
    // Inside the try: a name that does not reach us is a failure with back-off, like any other.
    await deps.preflight?.(request.domains);
    const reused = await reusableKey(store, request.name, request.keyType, existing?.record, request.rotateKey === true);
    progress.info(reused === undefined ? 'ordering with a new private key' : `ordering with the live private key (${reused.source})`, { name: request.name, keyReused: reused !== undefined });
    const issued = await deps.issuer.issue({ ...request, privateKeyPem: reused?.privateKeyPem }, progress.step.bind(progress), (detail) =>
      progress.info(`the CA refused \`replaces\` (${detail}); ordered without \`replaces\``, { name: request.name }),
    );
    const files = certificateFiles(issued.fullchainPem, issued.privateKeyPem);
    const published = await progress.step(
      'store in S3 (archive, then live)',
      () => publishCertificate(store, request.name, files, request.directoryUrl, now()),
      (p) => `serial ${p.info.serial}`,
    );
    const deployed = await deployPublished(deps, loaded, files, published.info, published.metadata, request, `issued serial ${published.info.serial}`);
    loaded = deployed;
    return { published, acm: loaded.record.acm, record: loaded.record, replacedAcm: deployed.replacedAcm };
  } catch (error) {
    await recordFailure(store, loaded, error, now());
    throw error;
  }
}

/**
 * The second half of an issuance, once the certificate is live in S3: ACM (same ARN), the renewal
 * plan, state `active`, the index entry. Also what finishes a run that crashed after publishing.
 */
export async function deployPublished(
  deps: Omit<IssueDeps, 'issuer'>,
  loaded: LoadedRecord,
  files: CertificateFiles,
  info: Pick<CertificateInfo, 'serial' | 'keyAlgorithm' | 'notBefore' | 'notAfter'>,
  metadata: LiveMetadata,
  request: Pick<IssueRequest, 'name' | 'directoryUrl' | 'allowNewArn' | 'renewBeforeDays'>,
  cause: string,
): Promise<LoadedRecord & { replacedAcm: readonly RetiredOutcome[] }> {
  const { store, progress, now } = deps;
  // Nothing is imported or exported without its own key.
  assertPairMatches(files, { cert: layout.archivePem(request.name, info.serial, 'cert.pem'), privkey: layout.archivePem(request.name, info.serial, 'privkey.pem') });
  // The renewal plan (an ARI request where the CA has ARI) needs only the certificate: asked while ACM imports.
  const planned = planRenewal(files.cert, info, request.directoryUrl, request.renewBeforeDays, undefined, now());
  planned.catch(() => undefined); // awaited below; an ACM failure first must not leave it unhandled
  let acm = loaded.record.acm;
  const retired: RetiredAcmRecord[] = [...(loaded.record.retiredAcm ?? [])];
  for (const importer of deps.acm) {
    const previous = acm.find((r) => r.region === importer.region);
    if (previous?.serial === info.serial) continue; // imported before the crash
    const importRequest = { name: request.name, serial: info.serial, keyAlgorithm: info.keyAlgorithm, files, existing: previous, allowNewArn: request.allowNewArn };
    // Decided before the step, so its title says what happens: same ARN, or a new one beside the old.
    const target = previous === undefined ? undefined : await importer.target(importRequest);
    const imported = await progress.step(
      previous === undefined
        ? `import into ACM ${importer.region}`
        : target === previous.certificateArn
          ? `re-import into ACM ${importer.region} (same ARN)`
          : `import into ACM ${importer.region} under a new ARN (replaces ${previous.certificateArn})`,
      () => importer.import(importRequest, now(), { target }),
      (r) => r.certificateArn,
    );
    if (previous !== undefined && imported.certificateArn !== previous.certificateArn) {
      retired.push({ region: importer.region, certificateArn: previous.certificateArn, replacedBy: imported.certificateArn, retiredAt: now().toISOString(), inUseBy: [] });
    }
    acm = [...acm.filter((r) => r.region !== imported.region), imported];
  }
  const exports =
    deps.exports === undefined
      ? loaded.record.exports
      : await deps.exports.export({ name: request.name, domains: loaded.record.domains, serial: info.serial, notAfter: info.notAfter, files, metadata, acm }, progress, now());
  // After the exports: the listener holds the new ARN before the old one is taken off it.
  const { kept, outcomes } =
    retired.length === 0 ? { kept: [], outcomes: [] } : await retireAcm(retired, listenersOf(loaded.record, deps.exports?.listenerArn), deps.acm[0]?.aws, progress);
  const plan = await planned;
  const active = await transition(store, loaded, 'active', cause, now(), {
    serial: info.serial,
    notBefore: metadata.notBefore,
    notAfter: metadata.notAfter,
    acm,
    exports,
    lastError: undefined,
    failedAttempts: 0,
    retryAt: undefined,
    revokedAt: undefined,
    retiredAcm: kept.length === 0 ? undefined : kept,
    rotateKey: undefined,
    ...plan,
  });
  await putIndexEntry(store, request.name, indexEntryOf(active.record));
  return { ...active, replacedAcm: outcomes };
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
  const retryAt = nextRetryAt(failedAttempts, at, rateLimitRetryAfter(message, at)).toISOString();
  try {
    const failed = await transition(store, loaded, 'failed', code, at, { lastError: { at: at.toISOString(), code, message }, failedAttempts, retryAt });
    await putIndexEntry(store, loaded.record.name, indexEntryOf(failed.record));
  } catch {
    // S3 is what failed; the error being thrown says so.
  }
}
