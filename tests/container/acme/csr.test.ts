// The CSR the issuer sends at finalize (container/acme/csr.ts), read back by openssl: the
// signature verifies, every name is in subjectAltName in order, the CN follows the 64-byte rule.
// pebble accepting it is covered by every issuance in the other e2e files.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createCsrPem } from '../../../container/acme/csr.js';
import { createPrivateKeyPem } from '../../../container/acme/keys.js';
import type { KeyType } from '../../../lib/core/index.js';

function openssl(csr: string): string {
  return execFileSync('openssl', ['req', '-noout', '-verify', '-text'], { input: csr, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

const sans = (text: string) =>
  /X509v3 Subject Alternative Name:\s*\n\s*(.*)\n/
    .exec(text)?.[1]
    ?.split(', ')
    .map((s) => s.replace(/^DNS:/, ''));
const subject = (text: string) => /Subject:(.*)\n/.exec(text)?.[1]?.trim();

describe('the order CSR', () => {
  it.each<[KeyType, RegExp]>([
    ['ec-p256', /Signature Algorithm: ecdsa-with-SHA256/],
    ['rsa-2048', /Signature Algorithm: sha256WithRSAEncryption/],
  ])('with a %s key: signed by that key, every name in subjectAltName in order, the first as CN', async (keyType, algorithm) => {
    const names = Array.from({ length: 50 }, (_, i) => `n${i}.csr.example.com`);
    const text = openssl(createCsrPem(await createPrivateKeyPem(keyType), names));
    expect(text).toMatch(algorithm);
    expect(sans(text)).toEqual(names);
    expect(subject(text)).toBe('CN = n0.csr.example.com');
  });

  it('leaves the CN out when the first name is longer than 64 bytes (the names stay in subjectAltName)', async () => {
    const key = await createPrivateKeyPem('ec-p256');
    const fits = `${'a'.repeat(52)}.example.com`; // 64 bytes
    const tooLong = `${'a'.repeat(53)}.example.com`; // 65 bytes
    expect(subject(openssl(createCsrPem(key, [fits])))).toBe(`CN = ${fits}`);
    const text = openssl(createCsrPem(key, [tooLong, 'short.example.com']));
    expect(subject(text)).toBe('');
    expect(sans(text)).toEqual([tooLong, 'short.example.com']);
  });

  it('encodes a subjectAltName longer than 64 KiB (long-form DER lengths)', async () => {
    const names = Array.from({ length: 1200 }, (_, i) => `name-${i}-${'x'.repeat(40)}.example.com`);
    expect(sans(openssl(createCsrPem(await createPrivateKeyPem('ec-p256'), names)))).toHaveLength(names.length);
  });

  it('refuses what cannot be a dNSName', async () => {
    const key = await createPrivateKeyPem('ec-p256');
    expect(() => createCsrPem(key, [])).toThrow(/at least one name/);
    expect(() => createCsrPem(key, ['bücher.example'])).toThrow(/"bücher.example" is not an ASCII DNS name/);
  });
});
