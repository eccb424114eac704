// The hand-over document (lib/core/handover.ts): one shape for bundle.json and the exports, the
// same bytes for the same version, and every way a stored one can be unusable named.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertPairMatches, handoverDocument, isIssuerError, readHandoverDocument, type LiveMetadata } from '../../lib/core/index.js';

/** A self-signed certificate and its key, made by openssl (not by the code under test). */
function pair(cn: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'handover-'));
  try {
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    const cert = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-days', '1', '-addext', `subjectAltName=DNS:${cn}`], { encoding: 'utf8' });
    return { cert, key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const metadata: LiveMetadata = {
  name: 'shop',
  serial: '0abc',
  archivePrefix: 'archive/shop/0abc/',
  names: ['shop.example.com'],
  issuer: 'CN=Pebble Intermediate',
  notBefore: '2030-01-01T00:00:00.000Z',
  notAfter: '2030-02-15T00:00:00.000Z',
  fingerprintSha256: 'aa:bb',
  keyAlgorithm: 'EC P-256',
  directoryUrl: 'https://ca.example/dir',
  issuedAt: '2030-01-01T00:01:00.000Z',
  bundleKey: 'archive/shop/0abc/bundle.json',
};

describe('the hand-over document', () => {
  const { cert, key } = pair('shop.example.com');
  const files = { cert, chain: 'CHAIN', fullchain: `${cert}CHAIN`, privkey: key };

  it('holds the PEMs and the facts, the same bytes for the same version, and reads back', () => {
    const text = handoverDocument(metadata, files);
    expect(handoverDocument(metadata, files)).toBe(text);
    expect(JSON.parse(text)).toEqual({
      name: 'shop',
      domains: ['shop.example.com'],
      serial: '0abc',
      notBefore: '2030-01-01T00:00:00.000Z',
      notAfter: '2030-02-15T00:00:00.000Z',
      fingerprint: 'aa:bb',
      keyAlgorithm: 'EC P-256',
      issuer: 'CN=Pebble Intermediate',
      directoryUrl: 'https://ca.example/dir',
      issuedAt: '2030-01-01T00:01:00.000Z',
      certificate: cert,
      chain: 'CHAIN',
      fullchain: `${cert}CHAIN`,
      privateKey: key,
    });
    expect(readHandoverDocument(text)).toMatchObject({ serial: '0abc', certificate: cert, privateKey: key });
  });

  it.each([
    ['{"name":', 'it is not valid JSON'],
    ['[1]', 'expected a JSON object, got an array'],
    [JSON.stringify({ ...JSON.parse(handoverDocument(metadata, files)), privateKey: undefined, domains: 'shop.example.com' }), 'field domains: expected a non-empty array, got "shop.example.com"'],
    [handoverDocument(metadata, { ...files, cert: cert.slice(0, 200) }), 'its certificate does not parse'],
    [handoverDocument(metadata, { ...files, privkey: pair('other.example.com').key }), 'its private key is not the key of its certificate'],
  ])('names what is wrong with a stored one (%#)', (text, problem) => {
    expect(readHandoverDocument(text)).toEqual({ problem });
  });

  it("refuses a pair whose key is not the certificate's as corrupt storage, naming both objects", () => {
    const sources = { cert: 'archive/shop/0abc/cert.pem', privkey: 'archive/shop/0abc/privkey.pem' };
    expect(() => assertPairMatches({ cert, privkey: key }, sources)).not.toThrow();
    let thrown: unknown;
    try {
      assertPairMatches({ cert, privkey: pair('other.example.com').key }, sources);
    } catch (error) {
      thrown = error;
    }
    expect(isIssuerError(thrown, 'ERR_STORAGE_CORRUPT')).toBe(true);
    expect((thrown as Error).message).toBe(
      's3 objects archive/shop/0abc/cert.pem and archive/shop/0abc/privkey.pem do not make a pair: the private key is not the key of its certificate; nothing was published, copied or exported',
    );
  });
});
