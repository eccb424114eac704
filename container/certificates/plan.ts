// Step 1 of an issuance (docs/architecture.md, "The issuance pipeline"): what is ordered, decided
// before the CA hears of it. Every name must reach our responder (the pre-flight) and the key is
// the live one where it can be (key-reuse.ts).
import { assertProfileNameLimit, assertProfileOffered, type KeyType, type ObjectStore, type RenewalRecord } from '../../lib/core/index.js';
import type { Progress } from '../progress.js';
import { reusableKey } from './key-reuse.js';

export interface PlanDeps {
  readonly store: ObjectStore;
  readonly progress: Progress;
  /** Checks every name reaches our responder before anything is ordered (skipped when undefined). */
  readonly preflight?: ((domains: readonly string[]) => Promise<unknown>) | undefined;
  /** The profiles the certificate's CA lists in its directory (meta.profiles); unchecked when undefined. */
  readonly offeredProfiles?: (() => Promise<Readonly<Record<string, string>>>) | undefined;
}

export interface OrderPlan {
  /** The live private key to order with; undefined for a new key. */
  readonly privateKeyPem: string | undefined;
}

/**
 * Throws, with nothing sent to the CA: ERR_BAD_INPUT for more names than the profile takes,
 * ERR_CONFIG_INVALID for a profile the CA does not list, ERR_PREFLIGHT_FAILED when a name does not reach us.
 */
export async function planOrder(
  deps: PlanDeps,
  request: {
    readonly name: string;
    readonly domains: readonly string[];
    readonly keyType: KeyType;
    readonly directoryUrl?: string | undefined;
    readonly profile?: string | undefined;
    readonly rotateKey?: boolean | undefined;
  },
  existing: RenewalRecord | undefined,
): Promise<OrderPlan> {
  assertProfileNameLimit(request.profile, request.domains, `"${request.name}"`);
  if (request.profile !== undefined && deps.offeredProfiles !== undefined) assertProfileOffered(request.profile, await deps.offeredProfiles(), request.directoryUrl ?? 'the CA', `"${request.name}"'s profile`);
  await deps.preflight?.(request.domains);
  const reused = await reusableKey(deps.store, request.name, request.keyType, existing, request.rotateKey === true);
  deps.progress.info(reused === undefined ? 'ordering with a new private key' : `ordering with the live private key (${reused.source})`, { name: request.name, keyReused: reused !== undefined });
  return { privateKeyPem: reused?.privateKeyPem };
}
