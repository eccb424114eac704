export interface RequestPacingStats {
  /** Nonces taken from earlier responses. */
  reused: number;
  /** Nonces fetched with a HEAD to newNonce because none was left over. */
  fetched: number;
  /** The most signed requests that were in flight at once. */
  peakInFlight: number;
}

/**
 * Signed requests in flight at once. A 50-name order otherwise opens 50 TLS connections and asks
 * for 50 fresh nonces in the same millisecond; a few connections kept alive serve it faster, feed
 * the nonce pool, and stay well inside a public CA's per-client request rate.
 */
export const MAX_SIGNED_REQUESTS_IN_FLIGHT = 8;

/** More than can ever be waiting: every in-flight response adds one, every request takes one. */
const MAX_POOLED = 64;

/**
 * The nonces the CA handed out (RFC 8555 §7.2: every response carries a fresh one; lego and
 * certbot keep them too), freshest first. A nonce leaves the pool when taken, so none is used twice;
 * `fetch` (a HEAD to newNonce) runs only when the pool is empty.
 */
export class NoncePool {
  private readonly nonces: string[] = [];

  constructor(
    private readonly fetch: () => Promise<string>,
    private readonly stats: RequestPacingStats,
  ) {}

  /** Keeps the Replay-Nonce of an answer (any answer, errors included: each is valid once). */
  keep(nonce: unknown): void {
    if (typeof nonce !== 'string' || nonce === '') return;
    this.nonces.push(nonce);
    if (this.nonces.length > MAX_POOLED) this.nonces.shift();
  }

  async take(): Promise<string> {
    const nonce = this.nonces.pop();
    if (nonce !== undefined) {
      this.stats.reused += 1;
      return nonce;
    }
    this.stats.fetched += 1;
    return this.fetch();
  }
}

/** A counting semaphore: first come, first served. */
export class Slots {
  inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.inUse >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inUse += 1;
    // A slot handed over by release() keeps inUse as it is.
    return () => {
      const next = this.waiting.shift();
      if (next === undefined) this.inUse -= 1;
      else next();
    };
  }
}
