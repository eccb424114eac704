// The CAA records that pin this deployment: one set per CA the account key is registered with
// (account/registration.json), each naming the CA by its directory's meta.caaIdentities and the
// account URL it gave us. Published as account/caa.json, which nothing secret is in, so the
// stack's output can point at it: the account URL is only known after the first `register`.
import { accountRegistrationShape, layout, parseStored, type ObjectStore } from '../../lib/core/index.js';
import { caaPin, type CaaPin, type CaaPinsDocument } from '../../lib/core/caa.js';

interface RegistrationFile {
  readonly accounts: Readonly<Record<string, { readonly accountUrl: string }>>;
}

/** A CA whose account URL differs from the one account/caa.json pinned: every record naming the old one now refuses us. */
export interface MovedPin {
  readonly directoryUrl: string;
  readonly from: string;
  readonly to: string;
}

export interface CaaPinsUpdate {
  readonly pins: readonly CaaPin[];
  readonly moved: readonly MovedPin[];
  /** False when account/caa.json already held these pins (a `register` run again writes nothing). */
  readonly written: boolean;
}

/**
 * Rebuilds account/caa.json after `register`: the current CA's identities come from its directory
 * (read this run), another CA's from the last run that read it, so no other CA is contacted (one
 * that is down would stall `register`); one never read gets a placeholder and a note.
 */
export async function updateCaaPins(store: ObjectStore, current: { readonly directoryUrl: string; readonly caaIdentities: readonly string[] }, now: Date): Promise<CaaPinsUpdate> {
  const [registrationObject, previousObject] = await Promise.all([store.get(layout.accountRegistration), store.get(layout.accountCaa)]);
  if (registrationObject === undefined) return { pins: [], moved: [], written: false };
  const registration = parseStored<RegistrationFile>(layout.accountRegistration, registrationObject.body, accountRegistrationShape);
  const before = previousPins(previousObject?.body);
  const pins = Object.entries(registration.accounts).map(([directoryUrl, { accountUrl }]) => {
    const known = before.find((pin) => pin.directoryUrl === directoryUrl && pin.note === undefined)?.caaIdentities;
    return caaPin(directoryUrl, accountUrl, directoryUrl === current.directoryUrl ? current.caaIdentities : known);
  });
  const moved = pins.flatMap((pin) => {
    const old = before.find((b) => b.directoryUrl === pin.directoryUrl);
    return old !== undefined && old.accountUrl !== pin.accountUrl ? [{ directoryUrl: pin.directoryUrl, from: old.accountUrl, to: pin.accountUrl }] : [];
  });
  if (JSON.stringify(before) === JSON.stringify(pins)) return { pins, moved, written: false };
  const document: CaaPinsDocument = { generatedAt: now.toISOString(), cas: pins };
  await store.put(layout.accountCaa, `${JSON.stringify(document, null, 2)}\n`);
  return { pins, moved, written: true };
}

function previousPins(body: string | undefined): readonly CaaPin[] {
  if (body === undefined) return [];
  try {
    const cas: unknown = (JSON.parse(body) as { cas?: unknown }).cas;
    // Only what this file's comparisons read: the CA, its account URL, its identities, its note.
    return Array.isArray(cas) ? cas.filter((pin): pin is CaaPin => typeof pin === 'object' && pin !== null && typeof (pin as { directoryUrl?: unknown }).directoryUrl === 'string') : [];
  } catch {
    // A damaged copy is only ours to rewrite: nothing else reads it back.
    return [];
  }
}

/** The lines `register` prints: the records, each followed by its CA when there are several. */
export function caaLines(pins: readonly CaaPin[]): string[] {
  return pins.flatMap((pin) => pin.records.map((record) => (pins.length === 1 ? record : `${record}  (${pin.directoryUrl})`)));
}
