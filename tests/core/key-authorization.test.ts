import { describe, expect, it } from 'vitest';
import { IssuerError, ROLLOVER_SWITCH_MARGIN_SECONDS, jwkThumbprint, keyAuthorization, parsePublicJwk, parsePublishedJwk, rolloverSwitchAt } from '../../lib/core/index.js';

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

describe('account/jwk.json during a rollover (parsePublishedJwk)', () => {
  const NEXT = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
  const members = (jwk: object) => Object.keys(jwk).sort();

  it('reads the plain JWK as the current key alone', () => {
    const published = parsePublishedJwk(JSON.stringify(RFC7638_JWK));
    expect(published.next).toBeUndefined();
    expect(published.current).toEqual(RFC7638_JWK);
  });

  it('reads next and nextFrom beside the current key, which keeps its thumbprint for readers that know no rollover', async () => {
    const text = JSON.stringify({ ...RFC7638_JWK, next: NEXT, nextFrom: '2027-01-01T00:00:00.000Z' });
    const published = parsePublishedJwk(text);
    expect(members(published.current)).toEqual(members(RFC7638_JWK));
    expect(published.next).toEqual({ jwk: NEXT, from: new Date('2027-01-01T00:00:00.000Z') });
    expect(await jwkThumbprint(parsePublicJwk(text))).toBe(RFC7638_THUMBPRINT);
    expect(await jwkThumbprint(published.current)).toBe(RFC7638_THUMBPRINT);
  });

  it.each([
    ['next without nextFrom', { next: NEXT }, 'field nextFrom: expected an ISO 8601 date beside next'],
    ['nextFrom without next', { nextFrom: '2027-01-01T00:00:00Z' }, 'field next: expected a JSON object'],
    ['a nextFrom that is no date', { next: NEXT, nextFrom: 'soon' }, 'field nextFrom: expected an ISO 8601 date'],
    ['a private next key', { next: { ...NEXT, d: 'secret' }, nextFrom: '2027-01-01T00:00:00Z' }, 'field next.d: it holds private key members'],
    ['an incomplete next key', { next: { kty: 'EC', crv: 'P-256', x: 'abc' }, nextFrom: '2027-01-01T00:00:00Z' }, 'field next.y: expected a non-empty string'],
  ])('refuses %s, naming the field', (_label, extra, message) => {
    expect(() => parsePublishedJwk(JSON.stringify({ ...RFC7638_JWK, ...extra }))).toThrow(`s3 object account/jwk.json is corrupt: ${message}`);
  });
});

describe('rolloverSwitchAt', () => {
  it('is JWK_REFRESH_SECONDS and the margin after publishing', () => {
    const at = new Date('2027-01-01T00:00:00.000Z');
    expect(rolloverSwitchAt(at, 300).toISOString()).toBe(new Date(at.getTime() + (300 + ROLLOVER_SWITCH_MARGIN_SECONDS) * 1000).toISOString());
    expect(rolloverSwitchAt(at, 0).getTime() - at.getTime()).toBe(ROLLOVER_SWITCH_MARGIN_SECONDS * 1000);
  });
});
