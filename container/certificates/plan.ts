// Step 1 of an issuance (docs/architecture.md, "The issuance pipeline"): what is ordered, decided
// before the CA hears of it. Every name must reach our responder (the pre-flight) and the key is
// the live one where it can be (key-reuse.ts).
import type { KeyType, ObjectStore, RenewalRecord } from '../../lib/core/index.js';
import type { Progress } from '../progress.js';
import { reusableKey } from './key-reuse.js';

export interface PlanDeps {
  readonly store: ObjectStore;
  readonly progress: Progress;
  /** Checks every name reaches our responder before anything is ordered (skipped when undefined). */
  readonly preflight?: ((domains: readonly string[]) => Promise<unknown>) | undefined;
}

export interface OrderPlan {
  /** The live private key to order with; undefined for a new key. */
  readonly privateKeyPem: string | undefined;
}

/** Throws ERR_PREFLIGHT_FAILED (nothing sent to the CA) when a name does not reach us. */
export async function planOrder(
  deps: PlanDeps,
  request: { readonly name: string; readonly domains: readonly string[]; readonly keyType: KeyType; readonly rotateKey?: boolean | undefined },
  existing: RenewalRecord | undefined,
): Promise<OrderPlan> {
  await deps.preflight?.(request.domains);
  const reused = await reusableKey(deps.store, request.name, request.keyType, existing, request.rotateKey === true);
  deps.progress.info(reused === undefined ? 'ordering with a new private key' : `ordering with the live private key (${reused.source})`, { name: request.name, keyReused: reused !== undefined });
  return { privateKeyPem: reused?.privateKeyPem };
}
