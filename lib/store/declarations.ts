import {
  EMPTY_DECLARED_INDEX,
  declarationFields,
  ErrorCodes,
  IssuerError,
  isValidCertName,
  layout,
  parseDeclaration,
  parseDeclaredIndex,
  withDeclaration,
  type Declaration,
  type DeclaredIndex,
  type DeclareInput,
  type ObjectStore,
  type StoredObject,
} from '../core/index.js';
import type { IndexNotice } from './index-store.js';

export interface LoadedDeclaration {
  readonly declaration: Declaration;
  readonly etag: string;
}

/** declared/NAME.json, shape-checked (a damaged one is ERR_STORAGE_CORRUPT naming the object and field). */
export async function loadDeclaration(store: ObjectStore, name: string): Promise<LoadedDeclaration | undefined> {
  const object = await store.get(layout.declared(name));
  return object === undefined ? undefined : { declaration: parseDeclaration(name, object.body), etag: object.etag };
}

/** Writes a declaration over the version read (If-Match), or only where there is none (If-None-Match). */
export async function saveDeclaration(store: ObjectStore, declaration: Declaration, etag: string | undefined): Promise<void> {
  await store.put(layout.declared(declaration.name), `${JSON.stringify(declaration, null, 2)}\n`, { condition: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag } });
}

/**
 * The summary of every declaration in one read (what a sweep costs whatever the count). It is
 * derived data: missing or corrupt, it is rebuilt from declared/*.json and written back with a
 * conditional write, as renewal/_index.json is from renewal/*.json. No declarations and no
 * summary is the common case (CERTIFICATES alone): one GET, nothing written.
 */
export async function loadDeclaredIndex(store: ObjectStore, notice?: IndexNotice): Promise<{ index: DeclaredIndex; etag: string | undefined }> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const object = await store.get(layout.declaredIndex);
    let problem: string | undefined;
    if (object !== undefined) {
      try {
        return { index: parseDeclaredIndex(object.body), etag: object.etag };
      } catch (error) {
        if (!(error instanceof IssuerError && error.code === ErrorCodes.STORAGE_CORRUPT)) throw error;
        problem = error.message;
      }
    }
    const rebuilt = await rebuild(store, object, problem, notice);
    if (rebuilt !== undefined) return rebuilt;
    // Another writer put a summary between our read and our write: read theirs.
  }
  throw new IssuerError(ErrorCodes.CONFLICT, `could not rebuild ${layout.declaredIndex} (too many concurrent writers)`);
}

async function rebuild(store: ObjectStore, damaged: StoredObject | undefined, problem: string | undefined, notice: IndexNotice | undefined): Promise<{ index: DeclaredIndex; etag: string | undefined } | undefined> {
  const names = (await store.list(layout.declaredPrefix))
    .filter((key) => key !== layout.declaredIndex && key.endsWith('.json'))
    .map((key) => key.slice(layout.declaredPrefix.length, -'.json'.length))
    .filter(isValidCertName);
  if (names.length === 0 && damaged === undefined) return { index: EMPTY_DECLARED_INDEX, etag: undefined };
  // Each one shape-checked: a damaged declaration stops the rebuild, named, rather than a summary that silently drops a certificate.
  const loaded = await Promise.all(names.map((name) => loadDeclaration(store, name))).catch((error: unknown) => {
    if (!(error instanceof IssuerError && error.code === ErrorCodes.STORAGE_CORRUPT)) throw error;
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `${layout.declaredIndex} is ${damaged === undefined ? 'missing' : 'corrupt'} and cannot be rebuilt: ${error.message}`, { hint: error.hint, cause: error });
  });
  let index = EMPTY_DECLARED_INDEX;
  for (const l of loaded) if (l !== undefined) index = withDeclaration(index, l.declaration.name, l.declaration);
  let etag: string;
  try {
    etag = await store.put(layout.declaredIndex, `${JSON.stringify(index)}\n`, { condition: damaged === undefined ? { ifNoneMatch: '*' } : { ifMatch: damaged.etag } });
  } catch (error) {
    if (error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) return undefined;
    throw error;
  }
  const count = Object.keys(index.entries).length;
  const from = `from ${count} declaration${count === 1 ? '' : 's'} in ${layout.declaredPrefix}`;
  notice?.(
    damaged === undefined ? `${layout.declaredIndex} was missing; rebuilt it ${from}` : `${layout.declaredIndex} was corrupt (${problem}); rebuilt it ${from}; its previous content stays in the bucket's version history`,
    { object: layout.declaredIndex, rebuilt: true, cause: damaged === undefined ? 'missing' : 'corrupt', declarations: count },
  );
  return { index, etag };
}

/**
 * Makes the summary's entry for NAME what declared/NAME.json holds now (none when it is gone),
 * with a conditional write. The object is read again on every attempt, so when two writers
 * declare the same certificate at once, the summary ends with the object's last version, and two
 * declarations of different certificates both stay.
 */
export async function syncDeclaredEntry(store: ObjectStore, name: string, notice?: IndexNotice): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const { index, etag } = await loadDeclaredIndex(store, notice);
    const current = await loadDeclaration(store, name);
    try {
      await store.put(layout.declaredIndex, `${JSON.stringify(withDeclaration(index, name, current?.declaration))}\n`, { condition: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag } });
      return;
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * (attempt + 1)));
    }
  }
  throw new IssuerError(ErrorCodes.CONFLICT, `could not update ${layout.declaredIndex} after 8 attempts (too many concurrent writers)`);
}

/**
 * Writes over the version read (If-Match) or where there is none (If-None-Match); when another
 * writer got there between our read and our write, reads theirs and writes again, keeping the
 * owner it recorded: two callers declaring the same certificate at once both succeed, the first
 * its owner.
 */
async function writeDeclaration(store: ObjectStore, fields: ReturnType<typeof declarationFields>, caller: string, now: Date): Promise<{ declaration: Declaration; existing: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const existing = await loadDeclaration(store, fields.name);
    const declaration: Declaration = { version: 1, ...fields, owner: existing?.declaration.owner ?? caller, declaredBy: caller, declaredAt: now.toISOString() };
    try {
      await saveDeclaration(store, declaration, existing?.etag);
      return { declaration, existing: existing !== undefined };
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) || attempt >= 3) throw error;
    }
  }
}

/**
 * Declares a certificate (what `declare` and the API's POST /certificates do): checks the input by
 * the CERTIFICATES rules before anything is read, writes declared/NAME.json with the caller as
 * owner (the first declarer stays owner), then its entry in declared/_index.json.
 */
export async function declareInStore(store: ObjectStore, input: DeclareInput, caller: string, now: Date, notice?: IndexNotice): Promise<{ declaration: Declaration; existing: boolean }> {
  const fields = declarationFields(input); // bad input fails before anything is read
  const written = await writeDeclaration(store, fields, caller, now);
  await syncDeclaredEntry(store, written.declaration.name, notice);
  return written;
}

/**
 * Removes declared/NAME.json and its summary entry (what `undeclare` and the API's DELETE do);
 * false when neither exists. A summary entry whose object is already gone (an interrupted run) is
 * removed too.
 */
export async function undeclareInStore(store: ObjectStore, name: string, notice?: IndexNotice): Promise<boolean> {
  const object = await store.get(layout.declared(name));
  const { index } = await loadDeclaredIndex(store, notice);
  if (object === undefined && index.entries[name] === undefined) return false;
  if (object !== undefined) await store.delete(layout.declared(name));
  await syncDeclaredEntry(store, name, notice);
  return true;
}
