// `health` checks of what the issuer stores (each a self-contained function the health runner
// times and reports): the renewal index is there and whole, and every record, live pointer, lease
// and declaration (and the declared set's summary) has its shape. They change nothing: the fix
// each failure names is what `renew` or a restore from the bucket's version history does.
import {
  DECLARED_INDEX_REBUILD_HINT,
  corruptObject,
  parseDeclaration,
  parseDeclaredIndex,
  ErrorCodes,
  IssuerError,
  INDEX_REBUILD_HINT,
  isValidCertName,
  layout,
  leaseShape,
  liveMetadataShape,
  parseRenewalIndex,
  parseStored,
  renewalRecordShape,
  restoreHint,
  type ObjectStore,
  type RenewalRecord,
  type Shape,
} from '../../lib/core/index.js';
import { leaseHint } from '../certificates/lease.js';

/** The records' keys under renewal/ (the index itself and anything not a record left out). */
export function recordKeys(keys: readonly string[]): string[] {
  return keys.filter((key) => key !== layout.renewalIndex && key.endsWith('.json') && isValidCertName(key.slice(layout.renewalPrefix.length, -'.json'.length)));
}

/** renewal/_index.json: present whenever records exist, valid JSON of the index's shape. */
export async function checkRenewalIndex(store: ObjectStore, records: readonly string[]): Promise<{ value: true; detail: string }> {
  const object = await store.get(layout.renewalIndex);
  if (object === undefined) {
    if (records.length === 0) return { value: true, detail: 'no index yet (no certificates)' };
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `${layout.renewalIndex} is missing though ${records.length} record${records.length === 1 ? '' : 's'} exist in ${layout.renewalPrefix}`, {
      hint: INDEX_REBUILD_HINT,
    });
  }
  const index = parseRenewalIndex(layout.renewalIndex, object.body);
  const entries = Object.keys(index.entries).length;
  return { value: true, detail: `${layout.renewalIndex} holds ${entries} entr${entries === 1 ? 'y' : 'ies'}` };
}

/**
 * Every record (and its name), the live pointer of each, and every lease: of the stored shape.
 * All problems are collected, so one run names every damaged object.
 */
export async function checkStoredRecords(store: ObjectStore, records: ReadonlyMap<string, string>): Promise<{ value: true; detail: string }> {
  const problems: IssuerError[] = [];
  const parse = <T>(key: string, body: string, shape: Shape, hint?: string): T | undefined => {
    try {
      return parseStored<T>(key, body, shape, hint);
    } catch (error) {
      if (!(error instanceof IssuerError)) throw error;
      problems.push(error);
      return undefined;
    }
  };
  const valid: RenewalRecord[] = [];
  for (const [key, body] of records) {
    const record = parse<RenewalRecord>(key, body, renewalRecordShape);
    const name = key.slice(layout.renewalPrefix.length, -'.json'.length);
    if (record !== undefined && record.name !== name) {
      problems.push(corruptObject(key, `field name: expected "${name}", got "${record.name}"`));
    } else if (record !== undefined) valid.push(record);
  }
  const pointers = await Promise.all(
    [...records.keys()].map(async (key) => {
      const metadataKey = layout.liveMetadata(key.slice(layout.renewalPrefix.length, -'.json'.length));
      return { key: metadataKey, object: await store.get(metadataKey) };
    }),
  );
  for (const { key, object } of pointers) if (object !== undefined) parse(key, object.body, liveMetadataShape);
  const leases = (await store.list(layout.locksPrefix)).filter((key) => key.endsWith('.json'));
  for (const key of leases) {
    const object = await store.get(key);
    if (object !== undefined) parse(key, object.body, leaseShape, leaseHint(key));
  }
  // The declared set: every declaration (named as its object) and the summary a sweep reads.
  const declarations = (await store.list(layout.declaredPrefix)).filter((key) => key.endsWith('.json'));
  for (const key of declarations) {
    const object = await store.get(key);
    if (object === undefined) continue;
    const name = key.slice(layout.declaredPrefix.length, -'.json'.length);
    try {
      if (key === layout.declaredIndex) parseDeclaredIndex(object.body);
      else if (isValidCertName(name)) parseDeclaration(name, object.body);
    } catch (error) {
      if (!(error instanceof IssuerError)) throw error;
      problems.push(key === layout.declaredIndex ? new IssuerError(error.code, error.message, { hint: DECLARED_INDEX_REBUILD_HINT }) : error);
    }
  }
  const declared = declarations.filter((key) => key !== layout.declaredIndex).length;
  if (problems.length > 0) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, problems.map((p) => p.message).join('; '), {
      hint: problems.length === 1 ? problems[0]!.hint : severalHint(problems.map((p) => p.message)),
    });
  }
  const count = valid.length;
  return {
    value: true,
    detail: `${count} record${count === 1 ? '' : 's'}, ${pointers.filter((p) => p.object !== undefined).length} live pointer(s), ${leases.length} lease(s) and ${declared} declaration(s) have their stored shape`,
  };
}

/** The records that read as records (the others are the `records` check's to report). */
export function readableRecords(records: ReadonlyMap<string, string>): RenewalRecord[] {
  return [...records].flatMap(([key, body]) => {
    try {
      return [parseStored<RenewalRecord>(key, body, renewalRecordShape)];
    } catch {
      return [];
    }
  });
}

/** One hint for several damaged objects: restore each, except leases, which are deleted instead. */
function severalHint(messages: readonly string[]): string {
  const leases = messages.some((m) => m.startsWith(`s3 object ${layout.locksPrefix}`));
  return `for each object named, ${restoreHint('KEY')}${leases ? `; a lease in ${layout.locksPrefix} is not restored but deleted once no issuer runs for its certificate` : ''}`;
}
