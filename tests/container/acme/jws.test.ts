// The JWS our client signs (container/acme/jws.ts), verified by an independent implementation
// (jose's flattenedVerify): ES256 and RS256 with `jwk` or `kid`, POST-as-GET's empty payload,
// the inner JWS of a key change (no nonce), and the EAB's HS256 over the account JWK.
import { createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { flattenedVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { externalAccountBinding, publicJwk, signJws } from '../../../container/acme/jws.js';

const KEYS = [
  ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
  ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
] as const;

describe.each(KEYS)('%s', (alg, key) => {
  it('signs with the public JWK in the header, which verifies the signature', async () => {
    const jws = signJws(key, { jwk: true }, 'https://ca.example/new-account', 'nonce-1', { onlyReturnExisting: true });
    const verified = await flattenedVerify(jws, createPublicKey(key));
    expect(verified.protectedHeader).toEqual({ alg, jwk: publicJwk(key), nonce: 'nonce-1', url: 'https://ca.example/new-account' });
    expect(JSON.parse(Buffer.from(verified.payload).toString())).toEqual({ onlyReturnExisting: true });
    expect(await importJWK(verified.protectedHeader!.jwk!, alg)).toBeDefined();
  });

  it('signs POST-as-GET with kid and an empty payload, and an inner JWS without a nonce', async () => {
    const get = signJws(key, { kid: 'https://ca.example/acct/1' }, 'https://ca.example/order/1', 'n', undefined);
    expect(get.payload).toBe('');
    expect((await flattenedVerify(get, createPublicKey(key))).protectedHeader).toEqual({ alg, kid: 'https://ca.example/acct/1', nonce: 'n', url: 'https://ca.example/order/1' });
    const inner = signJws(key, { jwk: true }, 'https://ca.example/key-change', undefined, { account: 'a', oldKey: {} });
    expect((await flattenedVerify(inner, createPublicKey(key))).protectedHeader?.nonce).toBeUndefined();
  });

  it('never puts a private member in the JWK', () => {
    expect(Object.keys(publicJwk(key)).sort()).toEqual(alg === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n']);
  });
});

it("binds the account key to the CA's EAB kid with HS256 (RFC 8555 §7.3.4)", async () => {
  const [, key] = KEYS[0];
  const hmacKey = Buffer.from('a secret of the CA, thirty-two bytes').toString('base64url');
  const eab = externalAccountBinding({ kid: 'kid-1', hmacKey }, key, 'https://ca.example/new-account');
  const verified = await flattenedVerify(eab, createSecretKey(Buffer.from(hmacKey, 'base64url')));
  expect(verified.protectedHeader).toEqual({ alg: 'HS256', kid: 'kid-1', url: 'https://ca.example/new-account' });
  expect(JSON.parse(Buffer.from(verified.payload).toString())).toEqual(publicJwk(key));
});
