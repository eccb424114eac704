// lib/core/layout.ts: the one map of S3 keys. A name or serial that could escape its folder (or
// collide with the index) never becomes a key.
import { describe, expect, it } from 'vitest';
import { PEM_FILES, assertCertName, isIssuerError, isValidCertName, layout } from '../../lib/core/index.js';

describe('certificate names', () => {
  it.each([
    ['www', true],
    ['www-example-com', true],
    ['a', true],
    ['shop.example.com', true],
    ['api_v2', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['', false],
    ['Www', false],
    ['-www', false],
    ['www-', false],
    ['_index', false], // the index is renewal/_index.json: no record may take its key
    ['a..b', false],
    ['a/b', false],
    ['../live', false],
    ['a b', false],
    ['ü', false],
  ])('%j is valid: %s', (name, valid) => {
    expect(isValidCertName(name)).toBe(valid);
    if (valid) expect(assertCertName(name)).toBe(name);
    else expect(() => assertCertName(name)).toThrow(/is not valid/);
  });
});

describe('keys', () => {
  it('puts every object of a certificate under its own folder of each prefix', () => {
    expect(layout.liveDir('shop')).toBe('live/shop/');
    expect(PEM_FILES.map((file) => layout.livePem('shop', file))).toEqual(['live/shop/cert.pem', 'live/shop/chain.pem', 'live/shop/fullchain.pem', 'live/shop/privkey.pem']);
    expect(layout.liveMetadata('shop')).toBe('live/shop/metadata.json');
    expect(layout.liveBundle('shop')).toBe('live/shop/bundle.json');
    expect(layout.archiveDir('shop', '0a1b')).toBe('archive/shop/0a1b/');
    expect(layout.archivePem('shop', '0a1b', 'privkey.pem')).toBe('archive/shop/0a1b/privkey.pem');
    expect(layout.archiveBundle('shop', '0a1b')).toBe('archive/shop/0a1b/bundle.json');
    expect(layout.renewal('shop')).toBe('renewal/shop.json');
    expect(layout.lock('shop')).toBe('locks/shop.json');
    expect(layout.declared('shop')).toBe('declared/shop.json');
    expect(layout.declaredIndex.startsWith(layout.declaredPrefix)).toBe(true);
    for (const key of [layout.liveDir('shop'), layout.archiveDir('shop', '0a1b'), layout.renewal('shop'), layout.lock('shop')]) {
      expect([layout.livePrefix, layout.archivePrefix, layout.renewalPrefix, layout.locksPrefix].some((prefix) => key.startsWith(prefix))).toBe(true);
    }
    expect([layout.accountJwk, layout.accountKey, layout.accountRegistration, layout.accountCaa].every((key) => key.startsWith(layout.accountPrefix))).toBe(true);
  });

  it.each([['0A1B'], ['0x1b'], [''], ['1'.repeat(65)], ['../x']])('refuses serial %j (only lowercase hex names an archive folder)', (serial) => {
    let caught: unknown;
    try {
      layout.archiveDir('shop', serial);
    } catch (error) {
      caught = error;
    }
    expect(isIssuerError(caught, 'ERR_BAD_INPUT')).toBe(true);
  });

  it('refuses a bad name in every key function', () => {
    for (const make of [layout.liveDir, layout.liveMetadata, layout.liveBundle, layout.renewal, layout.lock, (n: string) => layout.archiveDir(n, '01')]) {
      expect(() => make('../x')).toThrow(/is not valid/);
    }
  });
});
