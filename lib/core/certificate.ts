import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { ErrorCodes, IssuerError } from './errors.js';

export interface CertificateInfo {
  /** DNS names from subjectAltName, in certificate order. */
  readonly names: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  /** Lowercase hex without separators or leading zeros stripped (as the CA wrote it). */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, lowercase hex with colons (what ACM and openssl print). */
  readonly fingerprintSha256: string;
  /** "RSA" or "EC" with its size or curve, e.g. "EC P-256", "RSA 2048". */
  readonly keyAlgorithm: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into its certificates, leaf first. */
export function splitPemChain(pem: string): string[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, 'no PEM certificate found');
  return blocks.map((block) => `${block}\n`);
}

export function parseCertificate(pem: string): CertificateInfo {
  const [leaf] = splitPemChain(pem);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(leaf!);
  } catch (cause) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, 'certificate PEM does not parse', { cause });
  }
  return {
    names: dnsNames(cert.subjectAltName),
    subject: cert.subject,
    issuer: cert.issuer.replace(/\n/g, ', '),
    serial: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprintSha256: cert.fingerprint256.toLowerCase(),
    keyAlgorithm: describeKey(cert),
  };
}

function dnsNames(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
}

function describeKey(cert: X509Certificate): string {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details.modulusLength ?? '?'}`;
  if (key.asymmetricKeyType === 'ec') return `EC ${curveName(details.namedCurve)}`;
  return String(key.asymmetricKeyType);
}

function curveName(curve: string | undefined): string {
  switch (curve) {
    case 'prime256v1':
      return 'P-256';
    case 'secp384r1':
      return 'P-384';
    default:
      return String(curve);
  }
}

/** True when the private key PEM is the key of the certificate. */
export function keyMatchesCertificate(certificatePem: string, privateKeyPem: string): boolean {
  const [leaf] = splitPemChain(certificatePem);
  const cert = new X509Certificate(leaf!);
  const fromKey = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}

/** True when each certificate in the chain is signed by the next, and the last by one of the roots. */
export function chainVerifies(fullchainPem: string, rootPems: readonly string[]): boolean {
  const chain = splitPemChain(fullchainPem).map((pem) => new X509Certificate(pem));
  const roots = rootPems.map((pem) => new X509Certificate(pem));
  for (let i = 0; i < chain.length - 1; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) return false;
  }
  const top = chain[chain.length - 1]!;
  return roots.some((root) => top.checkIssued(root) && top.verify(root.publicKey));
}

/**
 * The Authority Key Identifier's keyIdentifier (hex), which ARI needs (RFC 9773 §4.1). Node's
 * X509Certificate does not expose extensions, so this walks the DER just far enough to find it.
 */
export function authorityKeyIdentifier(pem: string): string | undefined {
  const [leaf] = splitPemChain(pem);
  const der = new X509Certificate(leaf!).raw;
  const oid = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x23]); // OID 2.5.29.35
  let at = der.indexOf(oid);
  if (at === -1) return undefined;
  at += oid.length;
  if (der[at] === 0x01) at += 2 + der[at + 1]!; // critical BOOLEAN
  if (der[at] !== 0x04) return undefined; // extnValue OCTET STRING
  at = afterLength(der, at + 1).next;
  if (der[at] !== 0x30) return undefined; // AuthorityKeyIdentifier SEQUENCE
  at = afterLength(der, at + 1).next;
  if (der[at] !== 0x80) return undefined; // [0] keyIdentifier
  const { length, next } = afterLength(der, at + 1);
  return der.subarray(next, next + length).toString('hex');
}

function afterLength(der: Buffer, at: number): { length: number; next: number } {
  const first = der[at]!;
  if (first < 0x80) return { length: first, next: at + 1 };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + der[at + i]!;
  return { length, next: at + 1 + count };
}
