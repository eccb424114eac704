import { ErrorCodes, IssuerError, layout, type ObjectStore } from '../../lib/core/index.js';

interface Lease {
  readonly holder: string;
  readonly expiresAt: string;
}

/** Long enough for an issuance with many names; short enough that a crashed holder blocks little. */
export const DEFAULT_LEASE_MS = 10 * 60_000;

/**
 * One issuer per certificate at a time, with nothing but S3 conditional writes: create the lease
 * with If-None-Match; take over an expired one with If-Match on the version we read (so two
 * takers cannot both win); release it only if it is still ours.
 */
export async function withLease<T>(
  store: ObjectStore,
  name: string,
  lease: { readonly holder: string; readonly now: () => Date; readonly ttlMs?: number },
  work: () => Promise<T>,
): Promise<T> {
  const { holder, now, ttlMs = DEFAULT_LEASE_MS } = lease;
  const key = layout.lock(name);
  const body = () => `${JSON.stringify({ holder, expiresAt: new Date(now().getTime() + ttlMs).toISOString() } satisfies Lease)}\n`;
  try {
    await store.put(key, body(), { condition: { ifNoneMatch: '*' } });
  } catch (error) {
    if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
    const current = await store.get(key);
    const lease = current === undefined ? undefined : parseLease(current.body);
    if (current !== undefined && lease !== undefined && new Date(lease.expiresAt) > now()) {
      throw new IssuerError(ErrorCodes.LOCK_HELD, `certificate "${name}" is being worked on by run ${lease.holder} until ${lease.expiresAt}`, {
        hint: 'another issuer is on it; this run leaves it alone (the lease expires by itself if that issuer died)',
      });
    }
    // Expired or unreadable: take it over, but only over the exact version we saw.
    try {
      await store.put(key, body(), { condition: current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag } });
    } catch (takeover) {
      if (takeover instanceof IssuerError && takeover.code === ErrorCodes.CONFLICT) {
        throw new IssuerError(ErrorCodes.LOCK_HELD, `certificate "${name}" was just taken by another issuer`, { cause: takeover });
      }
      throw takeover;
    }
  }
  try {
    return await work();
  } finally {
    const current = await store.get(key).catch(() => undefined);
    if (current !== undefined && parseLease(current.body)?.holder === holder) await store.delete(key).catch(() => undefined);
  }
}

function parseLease(text: string): Lease | undefined {
  try {
    const value = JSON.parse(text) as Partial<Lease>;
    return typeof value.holder === 'string' && typeof value.expiresAt === 'string' ? (value as Lease) : undefined;
  } catch {
    return undefined;
  }
}
