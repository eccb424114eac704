import type acme from 'acme-client';

/** The part of acme-client's HttpClient this hooks into (src/http.js, pinned in package-lock). */
interface HttpClientInternals {
  request(url: string, method: string, options?: object): Promise<{ status: number; headers: Record<string, unknown>; data: unknown }>;
  getNonce(): Promise<string>;
  signedRequest(url: string, payload: unknown, options?: object, attempts?: number): Promise<unknown>;
}

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
 * Two things acme-client does not do. It asks newNonce for a nonce before every request although
 * every response to a POST carries a fresh one (RFC 8555 §7.2; lego and certbot keep them): this
 * keeps them and hands out the freshest first. And it sends whatever is asked at once: this
 * queues signed requests beyond MAX_SIGNED_REQUESTS_IN_FLIGHT. A nonce the CA has forgotten comes
 * back as badNonce, which acme-client retries with the nonce in that error response; that one is
 * not pooled, so no nonce is ever used twice.
 */
export function paceRequests(client: acme.Client, maxInFlight = MAX_SIGNED_REQUESTS_IN_FLIGHT): RequestPacingStats {
  const http = (client as unknown as { http: HttpClientInternals }).http;
  const stats: RequestPacingStats = { reused: 0, fetched: 0, peakInFlight: 0 };
  const pool: string[] = [];
  const request = http.request.bind(http);
  const getNonce = http.getNonce.bind(http);
  const signedRequest = http.signedRequest.bind(http);
  const slots = new Slots(maxInFlight);

  http.request = async (url, method, options) => {
    const response = await request(url, method, options);
    const nonce = response.headers['replay-nonce'];
    // HEAD newNonce answers are returned by getNonce itself; badNonce answers feed the retry.
    if (method === 'post' && typeof nonce === 'string' && nonce !== '' && !isBadNonce(response)) {
      pool.push(nonce);
      if (pool.length > MAX_POOLED) pool.shift();
    }
    return response;
  };
  http.getNonce = async () => {
    const nonce = pool.pop();
    if (nonce !== undefined) {
      stats.reused += 1;
      return nonce;
    }
    stats.fetched += 1;
    return getNonce();
  };
  // acme-client retries a badNonce by calling signedRequest again with attempts > 0: that retry
  // already holds its slot, and waiting for another could deadlock a full set of slots.
  http.signedRequest = async (url, payload, options, attempts = 0) => {
    if (attempts > 0) return signedRequest(url, payload, options, attempts);
    const release = await slots.acquire();
    stats.peakInFlight = Math.max(stats.peakInFlight, slots.inUse);
    try {
      return await signedRequest(url, payload, options, attempts);
    } finally {
      release();
    }
  };
  return stats;
}

/** A counting semaphore: first come, first served. */
class Slots {
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

function isBadNonce(response: { status: number; data: unknown }): boolean {
  const type = typeof response.data === 'object' && response.data !== null ? (response.data as { type?: unknown }).type : undefined;
  return response.status === 400 && type === 'urn:ietf:params:acme:error:badNonce';
}
