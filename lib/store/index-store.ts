import {
  EMPTY_INDEX,
  domainsKey,
  ErrorCodes,
  IssuerError,
  isValidCertName,
  layout,
  parseRenewalIndex,
  withEntry,
  type IndexEntry,
  type ObjectStore,
  type RenewalIndex,
  type RenewalRecord,
  type StoredObject,
} from '../core/index.js';
import { loadRecord } from './records.js';

/** Told when the index had to be rebuilt (the command says so in its output). */
export type IndexNotice = (message: string, fields: Record<string, unknown>) => void;

/**
 * The index, intact in one read (what a sweep with nothing due costs). The index is derived
 * data: when it is missing or corrupt it is rebuilt from renewal/*.json and written back with a
 * conditional write, so a lost index never makes `renew` forget or re-order a certificate.
 */
export async function loadIndex(store: ObjectStore, notice?: IndexNotice): Promise<{ index: RenewalIndex; etag: string | undefined }> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const object = await store.get(layout.renewalIndex);
    let problem: string | undefined;
    if (object !== undefined) {
      try {
        return { index: parseRenewalIndex(layout.renewalIndex, object.body), etag: object.etag };
      } catch (error) {
        if (!(error instanceof IssuerError && error.code === ErrorCodes.STORAGE_CORRUPT)) throw error;
        problem = error.message;
      }
    }
    const rebuilt = await rebuildIndex(store, object, problem, notice);
    if (rebuilt !== undefined) return rebuilt;
    // Another writer put an index between our read and our write: read theirs.
  }
  throw new IssuerError(ErrorCodes.CONFLICT, `could not rebuild ${layout.renewalIndex} (too many concurrent writers)`);
}

/**
 * The index for a reader that may not write renewal/ (the API): as stored, or, missing or
 * corrupt, built in memory from renewal/*.json; the issuer's next run writes it back.
 */
export async function readIndex(store: ObjectStore): Promise<RenewalIndex> {
  const object = await store.get(layout.renewalIndex);
  if (object !== undefined) {
    try {
      return parseRenewalIndex(layout.renewalIndex, object.body);
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.STORAGE_CORRUPT)) throw error;
    }
  }
  let index = EMPTY_INDEX;
  for (const record of await recordsInStore(store)) index = withEntry(index, record.name, indexEntryOf(record));
  return index;
}

/** Returns undefined when another writer won the conditional write. */
async function rebuildIndex(store: ObjectStore, damaged: StoredObject | undefined, problem: string | undefined, notice: IndexNotice | undefined): Promise<{ index: RenewalIndex; etag: string | undefined } | undefined> {
  const records = await recordsInStore(store).catch((error: unknown) => {
    if (!(error instanceof IssuerError && error.code === ErrorCodes.STORAGE_CORRUPT)) throw error;
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `${layout.renewalIndex} is ${damaged === undefined ? 'missing' : 'corrupt'} and cannot be rebuilt: ${error.message}`, { hint: error.hint, cause: error });
  });
  // A fresh deployment: no records, nothing to rebuild, nothing written.
  if (records.length === 0 && damaged === undefined) return { index: EMPTY_INDEX, etag: undefined };
  let index = EMPTY_INDEX;
  for (const record of records) index = withEntry(index, record.name, indexEntryOf(record));
  let etag: string;
  try {
    etag = await store.put(layout.renewalIndex, `${JSON.stringify(index)}\n`, {
      condition: damaged === undefined ? { ifNoneMatch: '*' } : { ifMatch: damaged.etag },
    });
  } catch (error) {
    if (error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) return undefined;
    throw error;
  }
  const from = `from ${records.length} record${records.length === 1 ? '' : 's'} in ${layout.renewalPrefix}`;
  notice?.(
    damaged === undefined ? `${layout.renewalIndex} was missing; rebuilt it ${from}` : `${layout.renewalIndex} was corrupt (${problem}); rebuilt it ${from}; its previous content stays in the bucket's version history`,
    { object: layout.renewalIndex, rebuilt: true, cause: damaged === undefined ? 'missing' : 'corrupt', records: records.length },
  );
  return { index, etag };
}

/**
 * Every record under renewal/ (each shape-checked: a corrupt one stops the rebuild, naming it,
 * rather than an index that silently forgets a certificate).
 */
export async function recordsInStore(store: ObjectStore): Promise<RenewalRecord[]> {
  const names = (await store.list(layout.renewalPrefix))
    .filter((key) => key !== layout.renewalIndex && key.endsWith('.json'))
    .map((key) => key.slice(layout.renewalPrefix.length, -'.json'.length))
    .filter(isValidCertName);
  const loaded = await Promise.all(names.map((name) => loadRecord(store, name)));
  return loaded.filter((l) => l !== undefined).map((l) => l.record);
}

export function indexEntryOf(record: RenewalRecord): IndexEntry {
  return {
    state: record.state,
    domainsKey: domainsKey(record.domains),
    keyType: record.keyType,
    directoryUrl: record.directoryUrl,
    serial: record.serial,
    notAfter: record.notAfter,
    ...(record.notBefore === undefined ? {} : { notBefore: record.notBefore }),
    renewAt: record.renewAt,
    retryAt: record.retryAt,
    ariCheckAt: record.ariCheckAt,
    ...(record.ariCertId === undefined ? {} : { ariCertId: record.ariCertId }),
    ...(record.ariWindow === undefined ? {} : { ariWindow: record.ariWindow }),
    acmArns: record.acm.map((r) => r.certificateArn),
    ...(record.retiredAcm === undefined || record.retiredAcm.length === 0 ? {} : { retiredAcmArns: record.retiredAcm.map((r) => r.certificateArn) }),
  };
}

/**
 * Replaces one entry with a conditional write; on a lost race it re-reads and applies the same
 * entry again, so concurrent issuers working on different certificates never lose each other's.
 */
export async function putIndexEntry(store: ObjectStore, name: string, entry: IndexEntry | undefined, notice?: IndexNotice): Promise<void> {
  return updateIndexEntries(store, { [name]: () => entry }, notice);
}

/**
 * Several entries in one conditional write (the sweep's ARI check times), each computed from the
 * entry as stored at the time of the write; retried like putIndexEntry.
 */
export async function updateIndexEntries(
  store: ObjectStore,
  updates: Readonly<Record<string, (current: IndexEntry | undefined) => IndexEntry | undefined>>,
  notice?: IndexNotice,
  /** The index as the caller just read it: the first attempt writes over it without reading it again. */
  read?: { readonly index: RenewalIndex; readonly etag: string | undefined },
): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const { index, etag } = attempt === 0 && read !== undefined ? read : await loadIndex(store, notice);
    const updated = Object.entries(updates).reduce((next, [name, update]) => withEntry(next, name, update(index.entries[name])), index);
    try {
      await store.put(layout.renewalIndex, `${JSON.stringify(updated)}\n`, {
        condition: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
      });
      return;
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * (attempt + 1)));
    }
  }
  throw new IssuerError(ErrorCodes.CONFLICT, `could not update ${layout.renewalIndex} after 8 attempts (too many concurrent writers)`);
}
