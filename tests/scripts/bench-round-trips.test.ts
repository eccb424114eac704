// The protocol part's definitions (bench/lib/round-trips.ts): pebble's paths reduced to kinds, and
// sequential round trips as the requests that started after every earlier one had ended.
import { describe, expect, it } from 'vitest';
import { protocolCost, requestKind, sequentialRoundTrips, type CaRequest } from '../../bench/lib/round-trips.js';

const at = (startMs: number, endMs: number, path = '/dir', method = 'GET'): CaRequest => ({ method, path, kind: requestKind(method, path), status: 200, startMs, endMs });

describe('bench request kinds', () => {
  it.each([
    ['GET', '/dir', 'GET /dir'],
    ['HEAD', '/nonce-plz', 'HEAD /nonce-plz'],
    ['POST', '/my-order/Zx8_Qq3c1Abc', 'POST /order/…'],
    ['POST', '/authZ/abcDEF123456', 'POST /authz/…'],
    ['POST', '/chalZ/abcDEF123456', 'POST /chall/…'],
    ['POST', '/finalize-order/abcDEF123456', 'POST /finalize/…'],
    ['POST', '/certZ/4b1e2f3a5c6d7e8f', 'POST /cert/…'],
    ['GET', '/draft-ietf-acme-ari-03/renewalInfo/aaaa.bbbb', 'GET /renewal-info/…'],
    ['POST', '/unknown/abcdefgh12345678', 'POST /unknown/…'],
  ])('%s %s is %s', (method, path, kind) => {
    expect(requestKind(method, path)).toBe(kind);
  });
});

describe('bench sequential round trips', () => {
  it('counts requests one after another each, and requests in flight together once', () => {
    expect(sequentialRoundTrips([])).toBe(0);
    expect(sequentialRoundTrips([at(0, 10), at(10, 20), at(25, 30)])).toBe(3);
    // three fetched together after the first, then one more: 3 waits
    expect(sequentialRoundTrips([at(0, 10), at(11, 30), at(12, 20), at(13, 25), at(31, 40)])).toBe(3);
    // a request that starts while a long earlier one is still out does not count, whatever the order recorded
    expect(sequentialRoundTrips([at(5, 8), at(0, 20), at(21, 22)])).toBe(2);
  });

  it('sums kinds and totals', () => {
    const cost = protocolCost([at(0, 1, '/order-plz', 'POST'), at(2, 3, '/authZ/abcdefgh1234', 'POST'), at(2, 4, '/authZ/ijklmnop5678', 'POST')]);
    expect(cost).toEqual({ requests: 3, byKind: { 'POST /authz/…': 2, 'POST /order-plz': 1 }, sequentialRoundTrips: 2 });
  });
});
