import {
  EMPTY_INDEX,
  domainsKey,
  ErrorCodes,
  IssuerError,
  layout,
  parseRenewalIndex,
  withEntry,
  type IndexEntry,
  type ObjectStore,
  type RenewalIndex,
  type RenewalRecord,
} from '../../lib/core/index.js';

export async function loadIndex(store: ObjectStore): Promise<{ index: RenewalIndex; etag: string | undefined }> {
  const object = await store.get(layout.renewalIndex);
  if (object === undefined) return { index: EMPTY_INDEX, etag: undefined };
  return { index: parseRenewalIndex(layout.renewalIndex, object.body), etag: object.etag };
}

export function indexEntryOf(record: RenewalRecord): IndexEntry {
  return {
    state: record.state,
    domainsKey: domainsKey(record.domains),
    keyType: record.keyType,
    directoryUrl: record.directoryUrl,
    serial: record.serial,
    notAfter: record.notAfter,
    renewAt: record.renewAt,
    retryAt: record.retryAt,
    ariCheckAt: record.ariCheckAt,
    acmArns: record.acm.map((r) => r.certificateArn),
    ...(record.retiredAcm === undefined || record.retiredAcm.length === 0 ? {} : { retiredAcmArns: record.retiredAcm.map((r) => r.certificateArn) }),
  };
}

/**
 * Replaces one entry with a conditional write; on a lost race it re-reads and applies the same
 * entry again, so concurrent issuers working on different certificates never lose each other's.
 */
export async function putIndexEntry(store: ObjectStore, name: string, entry: IndexEntry | undefined): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const { index, etag } = await loadIndex(store);
    try {
      await store.put(layout.renewalIndex, `${JSON.stringify(withEntry(index, name, entry))}\n`, {
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
