import { keyMatchesCertificate, parseCertificate } from './certificate.js';
import { ErrorCodes, IssuerError } from './errors.js';
import type { LiveMetadata } from './records.js';
import { handoverDocumentShape, shapeProblem } from './stored-shapes.js';

/**
 * The hand-over document: certificate, chain, fullchain, private key and the facts about them in
 * one JSON object. It is archive/NAME/SERIAL/bundle.json and its live copy live/NAME/bundle.json
 * (one GET gives a matching pair), and the value of the Secrets Manager secret and SSM parameter:
 * one shape for every consumer, documented in docs/consuming.md.
 */
export interface HandoverDocument {
  readonly name: string;
  readonly domains: readonly string[];
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the leaf's DER, lowercase hex with colons. */
  readonly fingerprint: string;
  readonly keyAlgorithm: string;
  readonly issuer: string;
  readonly directoryUrl: string;
  readonly issuedAt: string;
  readonly certificate: string;
  readonly chain: string;
  readonly fullchain: string;
  readonly privateKey: string;
}

/** The PEMs of one version, as archive/ and live/ hold them. */
export interface HandoverFiles {
  readonly cert: string;
  readonly chain: string;
  readonly fullchain: string;
  readonly privkey: string;
}

/** The document's text for one version; the same input always gives the same bytes (live copies are compared byte for byte). */
export function handoverDocument(metadata: LiveMetadata, files: HandoverFiles): string {
  const document: HandoverDocument = {
    name: metadata.name,
    domains: metadata.names,
    serial: metadata.serial,
    notBefore: metadata.notBefore,
    notAfter: metadata.notAfter,
    fingerprint: metadata.fingerprintSha256,
    keyAlgorithm: metadata.keyAlgorithm,
    issuer: metadata.issuer,
    directoryUrl: metadata.directoryUrl,
    issuedAt: metadata.issuedAt,
    certificate: files.cert,
    chain: files.chain,
    fullchain: files.fullchain,
    privateKey: files.privkey,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Reads a stored document and says why it cannot be used: not the shape above, a certificate that
 * does not parse, or a key that is not the certificate's. Returns the problem instead of throwing,
 * so a damaged live copy can be rewritten and an archived one refused by name.
 */
export function readHandoverDocument(text: string): HandoverDocument | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'it is not valid JSON' };
  }
  // The one shape of the document (lib/core/stored-shapes.ts), as every stored object is checked.
  const wrong = shapeProblem(value, handoverDocumentShape);
  if (wrong !== undefined) return { problem: wrong };
  const document = value as HandoverDocument;
  const pair = pairProblem(document.certificate, document.privateKey);
  return pair === undefined ? document : { problem: pair };
}

/** Why a certificate and key cannot be handed over together, or undefined when they can. */
export function pairProblem(certificatePem: string, privateKeyPem: string): string | undefined {
  try {
    parseCertificate(certificatePem);
  } catch {
    return 'its certificate does not parse';
  }
  try {
    return keyMatchesCertificate(certificatePem, privateKeyPem) ? undefined : 'its private key is not the key of its certificate';
  } catch {
    return 'its private key does not parse';
  }
}

/**
 * Refuses a pair before it is published, copied to live/ or exported: a mismatch is corrupt
 * storage (exit 5) naming the objects it came from, and nothing live changes.
 */
export function assertPairMatches(files: Pick<HandoverFiles, 'cert' | 'privkey'>, sources: { readonly cert: string; readonly privkey: string }): void {
  const problem = pairProblem(files.cert, files.privkey);
  if (problem === undefined) return;
  throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 objects ${sources.cert} and ${sources.privkey} do not make a pair: ${problem.replace(/^its /, 'the ')}; nothing was published, copied or exported`, {
    hint: `restore the earlier versions of ${sources.cert} and ${sources.privkey} (the bucket is versioned); the live certificate was left as it was`,
  });
}
