import { createPrivateKey, createPublicKey, sign } from 'node:crypto';

/**
 * The certificate signing request for an order (RFC 8555 §7.4, PKCS#10 / RFC 2986), built from
 * node:crypto and a few DER bytes. Every name goes in the subjectAltName extension; the first is
 * also the subject's CN when it fits the 64 bytes X.520 allows (lego does the same; Let's
 * Encrypt refuses a longer CN). acme-client's createCsr took ~20 ms of CPU for 50 names (~40 ms
 * cold) in @peculiar/x509; this takes well under one.
 */
export function createCsrPem(privateKeyPem: string, domains: readonly string[]): string {
  if (domains.length === 0) throw new Error('a CSR needs at least one name');
  for (const name of domains) {
    // dNSName is an IA5String: names arrive normalized to A-labels (lib/core/domain.ts).
    if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`"${name}" is not an ASCII DNS name`);
  }
  const key = createPrivateKey(privateKeyPem);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const commonName = domains[0]!;
  const subject = Buffer.byteLength(commonName) <= MAX_CN_BYTES ? sequence(set(sequence(OID.commonName, tlv(UTF8_STRING, Buffer.from(commonName, 'utf8'))))) : sequence();
  const subjectAltName = sequence(...domains.map((name) => tlv(DNS_NAME, Buffer.from(name, 'ascii'))));
  const extensionRequest = sequence(OID.extensionRequest, set(sequence(sequence(OID.subjectAltName, tlv(OCTET_STRING, subjectAltName)))));
  const info = sequence(tlv(INTEGER, Buffer.of(0)), subject, spki, tlv(ATTRIBUTES, extensionRequest));
  const algorithm = key.asymmetricKeyType === 'ec' ? sequence(OID.ecdsaWithSha256) : sequence(OID.sha256WithRsa, Buffer.of(NULL, 0));
  // node signs ECDSA as a DER SEQUENCE of r and s, as X.509 wants.
  const signature = sign('sha256', info, key);
  const der = sequence(info, algorithm, tlv(BIT_STRING, Buffer.concat([Buffer.of(0), signature])));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}

const MAX_CN_BYTES = 64;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const NULL = 0x05;
const UTF8_STRING = 0x0c;
const SEQUENCE = 0x30;
const SET = 0x31;
/** [0] IMPLICIT SET OF Attribute, constructed. */
const ATTRIBUTES = 0xa0;
/** GeneralName dNSName: [2] IMPLICIT IA5String. */
const DNS_NAME = 0x82;

const OID = {
  commonName: Buffer.from('0603550403', 'hex'), // 2.5.4.3
  extensionRequest: Buffer.from('06092a864886f70d01090e', 'hex'), // 1.2.840.113549.1.9.14
  subjectAltName: Buffer.from('0603551d11', 'hex'), // 2.5.29.17
  ecdsaWithSha256: Buffer.from('06082a8648ce3d040302', 'hex'), // 1.2.840.10045.4.3.2
  sha256WithRsa: Buffer.from('06092a864886f70d01010b', 'hex'), // 1.2.840.113549.1.1.11
} as const;

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let head: Buffer;
  if (length < 0x80) head = Buffer.of(tag, length);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    head = Buffer.of(tag, 0x80 | bytes.length, ...bytes);
  }
  return Buffer.concat([head, content]);
}

const sequence = (...parts: Buffer[]) => tlv(SEQUENCE, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(SET, Buffer.concat(parts));
