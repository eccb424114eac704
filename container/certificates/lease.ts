import { ErrorCodes, IssuerError, layout, leaseShape, parseStored, type ObjectStore } from '../../lib/core/index.js';

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
export async function withLease<T>(store: ObjectStore, name: string, lease: { readonly holder: string; readonly now: () => Date; readonly ttlMs?: number }, work: () => Promise<T>): Promise<T> {
  const { holder, now, ttlMs = DEFAULT_LEASE_MS } = lease;
  const key = layout.lock(name);
  const body = () => `${JSON.stringify({ holder, expiresAt: new Date(now().getTime() + ttlMs).toISOString() } satisfies Lease)}\n`;
  let etag: string;
  try {
    etag = await store.put(key, body(), { condition: { ifNoneMatch: '*' } });
  } catch (error) {
    if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
    const current = await store.get(key);
    // A lease of the wrong shape may still be someone's: refused by name, never taken over blindly.
    const lease = current === undefined ? undefined : parseStored<Lease>(key, current.body, leaseShape, leaseHint(key));
    if (current !== undefined && lease !== undefined && new Date(lease.expiresAt) > now()) {
      throw new IssuerError(ErrorCodes.LOCK_HELD, `certificate "${name}" is being worked on by run ${lease.holder} until ${lease.expiresAt}`, {
        hint: 'another issuer is on it; this run leaves it alone (the lease expires by itself if that issuer died)',
      });
    }
    // Expired (or gone meanwhile): take it over, but only over the exact version we saw.
    try {
      etag = await store.put(key, body(), { condition: current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag } });
    } catch (takeover) {
      if (takeover instanceof IssuerError && takeover.code === ErrorCodes.CONFLICT) {
        throw new IssuerError(ErrorCodes.LOCK_HELD, `certificate "${name}" was just taken by another issuer`, { cause: takeover });
      }
      throw takeover;
    }
  }
  // Keep the lease fresh while working (CertMagic does the same), so a slow issuance is never
  // mistaken for a dead one; only our own version is extended (If-Match).
  let beating = Promise.resolve();
  const heartbeat = setInterval(
    () => {
      beating = beating
        .then(async () => {
          etag = await store.put(key, body(), { condition: { ifMatch: etag } });
        })
        .catch(() => undefined); // lost or unreachable: the work's own conditional writes still guard the data
    },
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    await beating;
    const current = await store.get(key).catch(() => undefined);
    if (current !== undefined && parseLease(current.body)?.holder === holder) await store.delete(key).catch(() => undefined);
  }
}

/** Our own lease, to release it; anything else (another holder's, a damaged one) is left alone. */
function parseLease(text: string): Lease | undefined {
  try {
    return parseStored<Lease>('lease', text, leaseShape);
  } catch {
    return undefined;
  }
}

/** What to do about a lease of the wrong shape (shared with `health`). */
export function leaseHint(key: string): string {
  return `a lease only says who works on the certificate: once no issuer is running for it (check the task's runs), delete ${key} (aws s3api delete-object --bucket "$CERT_BUCKET" --key ${key}) and run again`;
}
