// The CAA records that pin this deployment: one set per CA the account key is registered with
// (account/registration.json), each naming the CA by its directory's meta.caaIdentities and the
// account URL it gave us. Published as account/caa.json, which nothing secret is in, so the
// stack's output can point at it: the account URL is only known after the first `register`.
import { accountRegistrationShape, layout, parseStored, type ObjectStore } from '../../lib/core/index.js';
import { caaPin, type CaaPin, type CaaPinsDocument } from '../../lib/core/caa.js';
import { fetchDirectory } from './directory.js';

interface RegistrationFile {
  readonly accounts: Readonly<Record<string, { readonly accountUrl: string }>>;
}

/** One pin per registered CA; a CA whose directory cannot be read gets a placeholder and a note saying why. */
export async function caaPinsOf(store: ObjectStore): Promise<CaaPin[]> {
  const object = await store.get(layout.accountRegistration);
  if (object === undefined) return [];
  const registration = parseStored<RegistrationFile>(layout.accountRegistration, object.body, accountRegistrationShape);
  return Promise.all(
    Object.entries(registration.accounts).map(async ([directoryUrl, { accountUrl }]) => {
      const identities = await fetchDirectory(directoryUrl).then(
        (directory) => directory.caaIdentities,
        () => undefined,
      );
      return caaPin(directoryUrl, accountUrl, identities);
    }),
  );
}

/** Writes account/caa.json when the records changed (a `register` run again writes nothing). */
export async function publishCaaPins(store: ObjectStore, pins: readonly CaaPin[], now: Date): Promise<boolean> {
  const previous = await store.get(layout.accountCaa);
  if (previous !== undefined) {
    try {
      const stored = JSON.parse(previous.body) as Partial<CaaPinsDocument>;
      if (JSON.stringify(stored.cas) === JSON.stringify(pins)) return false;
    } catch {
      // A damaged copy is only ours to rewrite: nothing reads it back.
    }
  }
  const document: CaaPinsDocument = { generatedAt: now.toISOString(), cas: pins };
  await store.put(layout.accountCaa, `${JSON.stringify(document, null, 2)}\n`);
  return true;
}

/** The lines `register` and `health` print: the records, each followed by its CA when there are several. */
export function caaLines(pins: readonly CaaPin[]): string[] {
  return pins.flatMap((pin) => pin.records.map((record) => (pins.length === 1 ? record : `${record}  (${pin.directoryUrl})`)));
}
