// lib/core/certificate.ts against certificates openssl makes (not the code under test): each field
// parseCertificate reads is compared with what openssl itself prints for the same certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authorityKeyIdentifier, chainVerifies, isIssuerError, keyMatchesCertificate, parseCertificate, splitPemChain } from '../../lib/core/index.js';

const dir = mkdtempSync(join(tmpdir(), 'certificate-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8' });

const KEY_ARGS = {
  'RSA 2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'EC P-256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'EC P-384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
} as const;

function key(name: string, kind: keyof typeof KEY_ARGS): string {
  openssl('genpkey', ...KEY_ARGS[kind], '-out', `${name}.key`);
  return readFileSync(join(dir, `${name}.key`), 'utf8');
}

// A root, and a leaf it signs with two names: the shape a CA's fullchain has.
const rootKey = key('root', 'EC P-256');
const root = openssl('req', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=Test Root', '-days', '2', '-addext', 'subjectKeyIdentifier=hash');
writeFileSync(join(dir, 'root.pem'), root);
function leaf(name: string, kind: keyof typeof KEY_ARGS): { cert: string; key: string } {
  const privateKey = key(name, kind);
  openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}.example.com`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${name}.example.com,DNS:www.${name}.example.com\nauthorityKeyIdentifier=keyid\n`);
  const cert = openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-days', '1', '-extfile', `${name}.ext`);
  return { cert, key: privateKey };
}
const printed = (pem: string, ...flags: string[]) => {
  writeFileSync(join(dir, 'printed.pem'), pem);
  return openssl('x509', '-in', 'printed.pem', '-noout', ...flags).trim();
};

describe('parseCertificate', () => {
  it.each(Object.keys(KEY_ARGS) as (keyof typeof KEY_ARGS)[])('reads a %s leaf as openssl prints it', (kind) => {
    const { cert } = leaf(kind.replace(/\W/g, '').toLowerCase(), kind);
    const info = parseCertificate(`${cert}${root}`);
    const name = kind.replace(/\W/g, '').toLowerCase();
    expect(info.names).toEqual([`${name}.example.com`, `www.${name}.example.com`]);
    expect(info.keyAlgorithm).toBe(kind);
    expect(info.serial).toBe(printed(cert, '-serial').replace('serial=', '').toLowerCase());
    expect(info.fingerprintSha256).toBe(printed(cert, '-fingerprint', '-sha256').replace(/^.*=/, '').toLowerCase());
    expect(info.notAfter.getTime()).toBe(new Date(printed(cert, '-enddate').replace('notAfter=', '')).getTime());
    expect(info.notBefore.getTime()).toBe(new Date(printed(cert, '-startdate').replace('notBefore=', '')).getTime());
    expect(info.issuer).toBe('CN=Test Root');
  });

  it.each([
    ['no PEM block at all', 'not a certificate'],
    ['a PEM block that is not DER', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['a certificate cut in half', '-----BEGIN CERTIFICATE-----\nMIIB\n'],
  ])('refuses %s as corrupt storage', (_, pem) => {
    let caught: unknown;
    try {
      parseCertificate(pem);
    } catch (error) {
      caught = error;
    }
    expect(isIssuerError(caught, 'ERR_STORAGE_CORRUPT')).toBe(true);
  });
});

describe('splitPemChain', () => {
  it('returns each certificate of a bundle, leaf first, each ending in a newline', () => {
    const { cert } = leaf('split', 'EC P-256');
    const blocks = splitPemChain(`${cert}\n\n${root}`);
    expect(blocks).toHaveLength(2);
    expect(parseCertificate(blocks[0]!).names[0]).toBe('split.example.com');
    expect(parseCertificate(blocks[1]!).issuer).toBe('CN=Test Root');
    expect(blocks.every((block) => block.endsWith('-----END CERTIFICATE-----\n'))).toBe(true);
  });
});

describe('keyMatchesCertificate', () => {
  const rsa = leaf('pair-rsa', 'RSA 2048');
  const ec = leaf('pair-ec', 'EC P-256');
  it.each([
    ['the RSA leaf and its key', rsa.cert, rsa.key, true],
    ['the EC leaf and its key', ec.cert, ec.key, true],
    ['the RSA leaf and the EC key', rsa.cert, ec.key, false],
    ['the EC leaf and the root key', ec.cert, rootKey, false],
    ['a fullchain (leaf first) and the leaf key', `${ec.cert}${root}`, ec.key, true],
  ])('%s', (_, cert, privateKey, matches) => {
    expect(keyMatchesCertificate(cert, privateKey)).toBe(matches);
  });
});

describe('chainVerifies and authorityKeyIdentifier', () => {
  it('verifies a chain to its root, not to another root, and reads the AKI openssl prints', () => {
    const { cert } = leaf('chain', 'EC P-256');
    expect(chainVerifies(cert, [root])).toBe(true);
    key('other', 'EC P-256');
    const otherRoot = openssl('req', '-x509', '-new', '-key', 'other.key', '-subj', '/CN=Test Root', '-days', '2');
    expect(chainVerifies(cert, [otherRoot])).toBe(false);
    const aki = printed(cert, '-ext', 'authorityKeyIdentifier')
      .split('\n')[1]!
      .trim()
      .replace(/^keyid:/, '')
      .replace(/:/g, '')
      .toLowerCase();
    expect(authorityKeyIdentifier(cert)).toBe(aki);
    // x509 -req without an extension file writes no extensions at all: no AKI to find.
    openssl('req', '-new', '-key', 'other.key', '-subj', '/CN=bare', '-out', 'bare.csr');
    expect(authorityKeyIdentifier(openssl('x509', '-req', '-in', 'bare.csr', '-signkey', 'other.key', '-days', '1'))).toBeUndefined();
  });
});
