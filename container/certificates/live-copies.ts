import { ErrorCodes, IssuerError, PEM_FILES, handoverDocument, layout, parseCertificate, readHandoverDocument, type LiveMetadata, type ObjectStore } from '../../lib/core/index.js';
import { putCreateOnly, readLiveFiles, type CertificateFiles } from './archive.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { liveCopiesOf, writeLiveCopies } from './publish.js';

/** A live copy that does not hold what the archive holds for the version the pointer names. */
export interface DamagedCopy {
  readonly key: string;
  /** missing, empty, truncated, of another serial, or different from the archived version */
  readonly problem: string;
  /** The archive object it is (re)written from. */
  readonly source: string;
}

export interface LiveInspection {
  readonly metadata: LiveMetadata;
  readonly files: CertificateFiles;
  /** archive/NAME/SERIAL/bundle.json as stored, or as it is to be written for a version archived before it existed. */
  readonly bundle: string;
  readonly bundleArchived: boolean;
  readonly damaged: readonly DamagedCopy[];
}

/**
 * Reads the live version from the archive and compares every live copy with it, byte for byte,
 * changing nothing. The archived pair is checked first (ERR_STORAGE_CORRUPT naming the archive
 * objects when the key is not the certificate's). undefined when nothing is live yet.
 */
export async function inspectLiveCopies(store: ObjectStore, name: string): Promise<LiveInspection | undefined> {
  const metadata = await readLiveMetadata(store, name);
  if (metadata === undefined) return undefined;
  const bundleKey = layout.archiveBundle(name, metadata.serial);
  const liveKeys = [...PEM_FILES.map((file) => layout.livePem(name, file)), layout.liveBundle(name)];
  const [files, archivedBundle, live] = await Promise.all([readLiveFiles(store, metadata), store.get(bundleKey), Promise.all(liveKeys.map(async (key) => [key, (await store.get(key))?.body] as const))]);
  if (archivedBundle !== undefined) assertArchivedBundle(bundleKey, archivedBundle.body, metadata, files);
  const bundle = archivedBundle?.body ?? handoverDocument(metadata, files);
  const actual = new Map(live);
  const damaged = liveCopiesOf(name, files, bundle)
    .filter((copy) => actual.get(copy.key) !== copy.body)
    .map((copy) => ({
      key: copy.key,
      problem: damageOf(copy.key, copy.body, actual.get(copy.key), metadata.serial),
      source: copy.key === layout.liveBundle(name) ? bundleKey : layout.archivePem(name, metadata.serial, copy.key.slice(copy.key.lastIndexOf('/') + 1) as (typeof PEM_FILES)[number]),
    }));
  return { metadata, files, bundle, bundleArchived: archivedBundle !== undefined, damaged };
}

/**
 * Makes the live copies what the archive holds for the version the pointer names: finishes an
 * interrupted publish and rewrites a damaged, missing or mismatched copy, each from the archive.
 * A version archived before bundle.json existed gets its bundle.json first (create-only).
 * Returns what it rewrote and why. Callers hold the lease.
 */
export async function syncLiveCopies(store: ObjectStore, name: string): Promise<readonly DamagedCopy[]> {
  const inspection = await inspectLiveCopies(store, name);
  if (inspection === undefined) return [];
  const { metadata, files, bundle, damaged } = inspection;
  if (!inspection.bundleArchived) await putCreateOnly(store, layout.archiveBundle(name, metadata.serial), bundle, true);
  if (damaged.length > 0) await writeLiveCopies(store, name, files, bundle, new Set(damaged.map((copy) => copy.key)));
  return damaged;
}

/** syncLiveCopies, with a line for each copy it rewrote (the object, its source and what was wrong). */
export async function healLiveCopies(store: ObjectStore, name: string, log: { info(message: string, fields?: Record<string, unknown>): void }): Promise<readonly DamagedCopy[]> {
  const rewritten = await syncLiveCopies(store, name);
  for (const copy of rewritten) {
    log.info(`rewrote ${copy.key} from ${copy.source}: it was ${copy.problem}`, { name, key: copy.key, source: copy.source, problem: copy.problem });
  }
  return rewritten;
}

/** The archived bundle must be the same version and pair as the PEMs beside it. */
function assertArchivedBundle(key: string, text: string, metadata: LiveMetadata, files: CertificateFiles): void {
  const document = readHandoverDocument(text);
  const problem =
    'problem' in document
      ? document.problem
      : document.serial !== metadata.serial
        ? `it is serial ${document.serial}, not ${metadata.serial}`
        : document.certificate !== files.cert || document.privateKey !== files.privkey
          ? `its certificate or key differs from ${layout.archivePem(metadata.name, metadata.serial, 'cert.pem')} / privkey.pem`
          : undefined;
  if (problem === undefined) return;
  throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${key} is corrupt: ${problem}; nothing was published, copied or exported`, {
    hint: `restore an earlier version of ${key} (the bucket is versioned); the live certificate was left as it was`,
  });
}

function damageOf(key: string, expected: string, actual: string | undefined, serial: string): string {
  if (actual === undefined) return 'missing';
  if (actual === '') return 'empty';
  if (expected.startsWith(actual)) return `truncated (${actual.length} of ${expected.length} bytes)`;
  if (/\/(cert|fullchain)\.pem$/.test(key)) {
    try {
      const held = parseCertificate(actual).serial;
      if (held !== serial) return `of serial ${held}, not the live ${serial}`;
    } catch {
      return 'a certificate that does not parse';
    }
  }
  return 'different from the archived version';
}
