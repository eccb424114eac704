import { corruptObject, layout, parseStored, renewalRecordShape, withState, type CertificateState, type ObjectStore, type RenewalRecord } from '../core/index.js';

export interface LoadedRecord {
  readonly record: RenewalRecord;
  /** ETag of the stored version, undefined for a record not yet written. */
  readonly etag: string | undefined;
}

export async function loadRecord(store: ObjectStore, name: string): Promise<LoadedRecord | undefined> {
  const key = layout.renewal(name);
  const object = await store.get(key);
  if (object === undefined) return undefined;
  const record = parseStored<RenewalRecord>(key, object.body, renewalRecordShape);
  // A record copied under another name would renew the wrong certificate's state.
  if (record.name !== name) throw corruptObject(key, `field name: expected "${name}" (the object's own name), got "${record.name}"`);
  return { record, etag: object.etag };
}

/**
 * Writes a record only over the version we read (If-Match), so two writers cannot silently
 * lose each other's transition. Returns the record with its new ETag.
 */
export async function saveRecord(store: ObjectStore, loaded: LoadedRecord): Promise<LoadedRecord> {
  const etag = await store.put(layout.renewal(loaded.record.name), `${JSON.stringify(loaded.record, null, 2)}\n`, {
    condition: loaded.etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: loaded.etag },
  });
  return { record: loaded.record, etag };
}

export async function transition(store: ObjectStore, loaded: LoadedRecord, state: CertificateState, cause: string, now: Date, changes: Partial<RenewalRecord> = {}): Promise<LoadedRecord> {
  return saveRecord(store, { record: withState({ ...loaded.record, ...changes }, state, cause, now), etag: loaded.etag });
}
