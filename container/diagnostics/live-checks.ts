// `health`'s look at what consumers read: each certificate's archived pair (key matches
// certificate) and its live/ copies (the same bytes as the archived version the pointer names).
// Reads only; `renew NAME` is what rewrites a damaged copy.
import type { ObjectStore } from '../../lib/core/index.js';
import { inspectLiveCopies, type LiveInspection } from '../certificates/live-copies.js';

export type LiveLook = { readonly name: string } & ({ readonly inspection: LiveInspection | undefined } | { readonly error: Error });

export type CheckVerdict = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly detail: string; readonly fix: string };

/** One inspection per certificate, shared by both checks. */
export async function lookAtLive(store: ObjectStore, names: readonly string[]): Promise<LiveLook[]> {
  return Promise.all(
    names.map(async (name): Promise<LiveLook> => {
      try {
        return { name, inspection: await inspectLiveCopies(store, name) };
      } catch (error) {
        return { name, error: error instanceof Error ? error : new Error(String(error)) };
      }
    }),
  );
}

/** `key-pairs`: the version each pointer names can be read from the archive and its key is its certificate's. */
export function keyPairsVerdict(looks: readonly LiveLook[]): CheckVerdict {
  const refused = looks.filter((look): look is LiveLook & { error: Error } => 'error' in look);
  if (refused.length > 0) {
    return {
      ok: false,
      detail: refused.map((look) => `${look.name}: ${look.error.message}`).join('; '),
      fix: refused.map((look) => ('hint' in look.error && typeof look.error.hint === 'string' ? look.error.hint : 'check the objects named')).join('; '),
    };
  }
  const live = looks.filter((look) => 'inspection' in look && look.inspection !== undefined).length;
  return { ok: true, detail: `${live} live certificate${live === 1 ? '' : 's'}: each archived key matches its certificate` };
}

/** `live-copies`: every live/NAME/ copy (the PEMs and bundle.json) holds the archived version the pointer names. */
export function liveCopiesVerdict(looks: readonly LiveLook[]): CheckVerdict {
  const inspected = looks.flatMap((look) => ('inspection' in look && look.inspection !== undefined ? [{ name: look.name, inspection: look.inspection }] : []));
  const damaged = inspected.filter(({ inspection }) => inspection.damaged.length > 0);
  const unchecked = looks.filter((look) => 'error' in look).map((look) => look.name);
  const note = unchecked.length > 0 ? ` (not compared: ${unchecked.join(', ')}, see key-pairs)` : '';
  if (damaged.length > 0) {
    return {
      ok: false,
      detail: `${damaged.flatMap(({ inspection }) => inspection.damaged.map((copy) => `${copy.key} is ${copy.problem}`)).join('; ')}${note}`,
      fix: `run \`renew ${damaged.map(({ name }) => name).join(' ')}\`: it rewrites them from the archive (nothing is reissued)`,
    };
  }
  return { ok: true, detail: `the live copies of ${inspected.length} certificate${inspected.length === 1 ? '' : 's'} match their archived versions${note}` };
}
