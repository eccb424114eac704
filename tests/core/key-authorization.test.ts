import { describe, expect, it } from 'vitest';
import { IssuerError, jwkThumbprint, keyAuthorization, parsePublicJwk } from '../../lib/core/index.js';

// RFC 7638 §3.1: the published example key and its SHA-256 thumbprint.
const RFC7638_JWK = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};
const RFC7638_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('key authorization', () => {
  it('computes the RFC 7638 published thumbprint', async () => {
    expect(await jwkThumbprint(parsePublicJwk(JSON.stringify(RFC7638_JWK)))).toBe(RFC7638_THUMBPRINT);
  });

  it('is token "." thumbprint (RFC 8555 §8.1)', () => {
    const token = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
    expect(keyAuthorization(token, RFC7638_THUMBPRINT)).toBe(`${token}.${RFC7638_THUMBPRINT}`);
  });

  it('refuses a token outside the base64url alphabet', () => {
    expect(() => keyAuthorization('abc/def'.repeat(5), RFC7638_THUMBPRINT)).toThrow(IssuerError);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['a private key', JSON.stringify({ ...RFC7638_JWK, d: 'secret' })],
    ['an incomplete EC key', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'abc' })],
    ['a symmetric key', JSON.stringify({ kty: 'oct', k: 'abc' })],
  ])('refuses a jwk.json that is %s', (_label, text) => {
    expect(() => parsePublicJwk(text)).toThrow(/^s3 object account\/jwk\.json is corrupt: /);
  });
});
