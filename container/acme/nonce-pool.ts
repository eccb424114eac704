import type acme from 'acme-client';

/** The part of acme-client's HttpClient the pool hooks into (src/http.js, pinned in package-lock). */
interface HttpClientInternals {
  request(url: string, method: string, options?: object): Promise<{ status: number; headers: Record<string, unknown>; data: unknown }>;
  getNonce(): Promise<string>;
}

export interface NoncePoolStats {
  /** Nonces taken from earlier responses. */
  reused: number;
  /** Nonces fetched with a HEAD to newNonce because the pool was empty. */
  fetched: number;
}

/** More than any burst of concurrent requests we make (50 names × 2 requests in flight). */
const MAX_POOLED = 128;

/**
 * Every response to a POST carries a fresh Replay-Nonce (RFC 8555 §7.2), but acme-client asks
 * newNonce for a new one before each request, doubling the round trips of an order (lego and
 * certbot keep the nonces they are given). This keeps them and hands out the freshest first.
 * A nonce the CA has forgotten comes back as badNonce, which acme-client already retries with
 * the nonce in that error response; that one is not pooled, so no nonce is ever used twice.
 */
export function poolNonces(client: acme.Client): NoncePoolStats {
  const http = (client as unknown as { http: HttpClientInternals }).http;
  const stats: NoncePoolStats = { reused: 0, fetched: 0 };
  const pool: string[] = [];
  const request = http.request.bind(http);
  const getNonce = http.getNonce.bind(http);

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
  return stats;
}

function isBadNonce(response: { status: number; data: unknown }): boolean {
  const type = typeof response.data === 'object' && response.data !== null ? (response.data as { type?: unknown }).type : undefined;
  return response.status === 400 && type === 'urn:ietf:params:acme:error:badNonce';
}
