// Step 5 of an issuance: the live version goes where it is used (ACM, exports) and the record says so.
import { assertPairMatches, layout, type CertificateInfo, type LiveMetadata, type ObjectStore, type RetiredAcmRecord } from '../../lib/core/index.js';
import type { AcmImporter } from '../aws/acm-importer.js';
import type { CertificateExporter } from '../exports/export.js';
import type { Progress } from '../progress.js';
import type { CertificateFiles } from './archive.js';
import { indexEntryOf, putIndexEntry } from '../../lib/store/index-store.js';
import { planRenewal } from './renewal-plan.js';
import { listenersOf, retireAcm, type RetiredOutcome } from './retire.js';
import { transition, type LoadedRecord } from '../../lib/store/records.js';

export interface DeployDeps {
  readonly store: ObjectStore;
  /** One importer per ACM region (empty when ACM import is off). */
  readonly acm: readonly AcmImporter[];
  /** Secrets Manager / SSM / HTTPS listener hand-over; undefined when none is configured. */
  readonly exports?: CertificateExporter | undefined;
  readonly progress: Progress;
  readonly now: () => Date;
}

export interface DeployRequest {
  readonly name: string;
  readonly directoryUrl: string;
  /** A key-type change may import under a new ARN (ACM cannot change the algorithm in place). */
  readonly allowNewArn: boolean;
  readonly renewBeforeDays: number | undefined;
}

/**
 * Step 5 of an issuance (docs/architecture.md, "The issuance pipeline"), once the certificate is
 * live in S3: ACM (same ARN), the exports, old ARNs retired, the renewal plan, state `active`,
 * the index entry. Also what finishes a run that crashed after publishing.
 */
export async function deployPublished(
  deps: DeployDeps,
  loaded: LoadedRecord,
  files: CertificateFiles,
  info: Pick<CertificateInfo, 'serial' | 'keyAlgorithm' | 'notBefore' | 'notAfter'>,
  metadata: LiveMetadata,
  request: DeployRequest,
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
  const { kept, outcomes } = retired.length === 0 ? { kept: [], outcomes: [] } : await retireAcm(retired, listenersOf(loaded.record, deps.exports?.listenerArn), deps.acm[0]?.aws, progress);
  const plan = await planned;
  const pending = loaded.record.pendingOrder;
  const active = await transition(store, loaded, 'active', cause, now(), {
    serial: info.serial,
    // The CA that issued it: a failover's second CA, until a renewal at the first.
    directoryUrl: request.directoryUrl,
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
    // The order saved before finalize is now the one the live certificate came from.
    pendingOrder: undefined,
    order: pending === undefined ? loaded.record.order : { url: pending.url, ...(pending.replaces === undefined ? {} : { replaces: pending.replaces }) },
    ...plan,
  });
  await putIndexEntry(store, request.name, indexEntryOf(active.record));
  return { ...active, replacedAcm: outcomes };
}
