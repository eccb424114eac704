// What one tool's conversation with the CA cost: requests by kind and the sequential round trips
// on its critical path. Pure, so tests/scripts/bench-round-trips.test.ts can check the definitions.

export interface CaRequest {
  readonly method: string;
  readonly path: string;
  readonly kind: string;
  readonly status: number;
  /** Milliseconds since the proxy started: request headers arrived, and the answer was written. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface ProtocolCost {
  readonly requests: number;
  readonly byKind: Record<string, number>;
  readonly sequentialRoundTrips: number;
}

/** Pebble's paths with their ids taken out: /order/…, /authz/…, /chall/…, … */
const KINDS: readonly [RegExp, string][] = [
  [/^\/dir\/?$/, '/dir'],
  [/^\/nonce-plz/, '/nonce-plz'],
  [/^\/sign-me-up/, '/sign-me-up'],
  [/^\/my-account\//, '/my-account/…'],
  [/^\/order-plz/, '/order-plz'],
  [/^\/my-order\//, '/order/…'],
  [/^\/list-orderz\//, '/orders/…'],
  [/^\/order\//, '/order/…'],
  [/^\/authZ\//i, '/authz/…'],
  [/^\/chalZ\//i, '/chall/…'],
  [/^\/chall\//, '/chall/…'],
  [/^\/finalize-order\//, '/finalize/…'],
  [/^\/finalize\//, '/finalize/…'],
  [/^\/certZ\//i, '/cert/…'],
  [/^\/cert\//, '/cert/…'],
  [/^\/revoke-cert/, '/revoke-cert'],
  [/^\/rollover-account-key/, '/key-change'],
  [/^\/draft-ietf-acme-ari[^/]*\/renewalInfo/i, '/renewal-info/…'],
  [/^\/renewal-info/i, '/renewal-info/…'],
];

/** A request's kind: method and its path with ids taken out (HEAD and GET of a nonce stay apart). */
export function requestKind(method: string, path: string): string {
  const bare = path.split('?')[0] ?? path;
  const kind = KINDS.find(([pattern]) => pattern.test(bare))?.[1] ?? bare.replace(/\/[A-Za-z0-9_-]{8,}/g, '/…');
  return `${method} ${kind}`;
}

/**
 * Requests that did not overlap in time with an earlier one: taken in order of start, a request
 * counts when it starts after every earlier request has ended. Requests sent together (50 authz
 * fetched at once) count once, requests sent one after another count each: the number of times
 * the tool waited for the CA, the count a per-request latency multiplies.
 */
export function sequentialRoundTrips(requests: readonly CaRequest[]): number {
  const byStart = [...requests].sort((a, b) => a.startMs - b.startMs);
  let count = 0;
  let busyUntil = Number.NEGATIVE_INFINITY;
  for (const r of byStart) {
    if (r.startMs >= busyUntil) count += 1;
    busyUntil = Math.max(busyUntil, r.endMs);
  }
  return count;
}

export function protocolCost(requests: readonly CaRequest[]): ProtocolCost {
  const byKind: Record<string, number> = {};
  for (const r of requests) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b)));
  return { requests: requests.length, byKind: sorted, sequentialRoundTrips: sequentialRoundTrips(requests) };
}

/**
 * RFC 8555's floor for one name with the directory cached and a nonce in hand: newOrder, the
 * authorization, the challenge, one poll until the order is ready, finalize, one poll while it
 * is processing, the certificate download. Each waits on the one before, so it is both the
 * fewest requests and the fewest sequential round trips.
 */
export const RFC_FLOOR_ONE_NAME = 7;
