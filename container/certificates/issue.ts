import type acme from 'acme-client';
import { IssuerError, type AcmRecord, type KeyType, type ObjectStore, type RenewalRecord } from '../../lib/core/index.js';
import { orderCertificate } from '../acme/order.js';
import type { AcmImporter } from '../aws/acm-importer.js';
import type { Progress } from '../progress.js';
import { certificateFiles, publishCertificate, type Published } from './archive.js';
import { loadRecord, transition, type LoadedRecord } from './records.js';

export interface IssueRequest {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  /** Why this issuance happens, recorded in the state history ("issue command", "renewal due", ...). */
  readonly cause: string;
  readonly allowNewArn: boolean;
}

export interface IssueOutcome {
  readonly published: Published;
  readonly acm: readonly AcmRecord[];
  readonly record: RenewalRecord;
}

/**
 * The whole life of one issuance: state to issuing, order, archive then live, ACM (same ARN),
 * state to active. Any failure is recorded as `failed` with the error, and the previous live
 * certificate is untouched because nothing live changes before the new one is complete.
 */
export async function issueCertificate(
  deps: { store: ObjectStore; client: acme.Client; acm: AcmImporter | undefined; progress: Progress; now: () => Date },
  request: IssueRequest,
): Promise<IssueOutcome> {
  const { store, progress, now } = deps;
  const existing = await loadRecord(store, request.name);
  let loaded: LoadedRecord = await transition(
    store,
    existing ?? { record: newRecord(request, now()), etag: undefined },
    'issuing',
    request.cause,
    now(),
    { domains: request.domains, keyType: request.keyType, directoryUrl: request.directoryUrl },
  );
  try {
    const issued = await orderCertificate(deps.client, request.domains, request.keyType, progress.step.bind(progress));
    const files = certificateFiles(issued.fullchainPem, issued.privateKeyPem);
    const published = await progress.step(
      'store in S3 (archive, then live)',
      () => publishCertificate(store, request.name, files, request.directoryUrl, now()),
      (p) => `serial ${p.info.serial}`,
    );
    let acm = loaded.record.acm;
    if (deps.acm !== undefined) {
      const importer = deps.acm;
      const previous = acm.find((r) => r.region === importer.region);
      const imported = await progress.step(
        previous === undefined ? 'import into ACM' : 're-import into ACM (same ARN)',
        () =>
          importer.import(
            { name: request.name, serial: published.info.serial, keyAlgorithm: published.info.keyAlgorithm, files, existing: previous, allowNewArn: request.allowNewArn },
            now(),
          ),
        (r) => r.certificateArn,
      );
      acm = [...acm.filter((r) => r.region !== imported.region), imported];
    }
    loaded = await transition(store, loaded, 'active', `issued serial ${published.info.serial}`, now(), {
      serial: published.info.serial,
      notAfter: published.metadata.notAfter,
      acm,
      lastError: undefined,
    });
    return { published, acm, record: loaded.record };
  } catch (error) {
    await recordFailure(store, loaded, error, now());
    throw error;
  }
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

/** Best effort: when S3 itself is what failed, the record cannot be written and the error is what matters. */
async function recordFailure(store: ObjectStore, loaded: LoadedRecord, error: unknown, at: Date): Promise<void> {
  const code = error instanceof IssuerError ? error.code : 'ERR_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  await transition(store, loaded, 'failed', code, at, { lastError: { at: at.toISOString(), code, message } }).catch(() => undefined);
}
