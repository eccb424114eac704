import { ErrorCodes, IssuerError } from './errors.js';

/**
 * Every S3 key the project uses, built in one place so IAM grants (lib/) and readers/writers
 * (container/, lambdas/) cannot drift apart. Certificate names are checked before they reach a key.
 */
const CERT_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export function isValidCertName(name: string): boolean {
  return CERT_NAME.test(name) && !name.includes('..');
}

export function assertCertName(name: string): string {
  if (!isValidCertName(name)) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, `certificate name "${name}" is not valid`, {
      hint: 'use 1-64 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit (e.g. "www-example-com")',
    });
  }
  return name;
}

export const PEM_FILES = ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem'] as const;
export type PemFile = (typeof PEM_FILES)[number];

export const layout = {
  accountPrefix: 'account/',
  /** The one object the responder may read. */
  accountJwk: 'account/jwk.json',
  accountKey: 'account/key.pem',
  /** The next account key while a rollover is under way (issuer only; written create-only). */
  accountNextKey: 'account/next-key.pem',
  accountRegistration: 'account/registration.json',
  /** The CAA records that pin this account, per CA (lib/core/caa.ts): public, written by `register`. */
  accountCaa: 'account/caa.json',

  livePrefix: 'live/',
  liveDir: (name: string) => `live/${assertCertName(name)}/`,
  livePem: (name: string, file: PemFile) => `live/${assertCertName(name)}/${file}`,
  /** The pointer: which archived version is live. Replaced with a conditional write. */
  liveMetadata: (name: string) => `live/${assertCertName(name)}/metadata.json`,
  /** The live copy of the version's hand-over document: one GET, a matching certificate and key. */
  liveBundle: (name: string) => `live/${assertCertName(name)}/bundle.json`,

  archivePrefix: 'archive/',
  /** One folder per issued certificate, keyed by serial so a version is never overwritten. */
  archiveDir: (name: string, serial: string) => `archive/${assertCertName(name)}/${assertSerial(serial)}/`,
  archivePem: (name: string, serial: string, file: PemFile) => `archive/${assertCertName(name)}/${assertSerial(serial)}/${file}`,
  /** The version's hand-over document (lib/core/handover.ts), create-only like the PEMs beside it. */
  archiveBundle: (name: string, serial: string) => `archive/${assertCertName(name)}/${assertSerial(serial)}/bundle.json`,

  renewalPrefix: 'renewal/',
  renewal: (name: string) => `renewal/${assertCertName(name)}.json`,
  /** One small object the sweep reads instead of every record ("_" cannot start a certificate name). */
  renewalIndex: 'renewal/_index.json',

  /** The declared set kept in the store (lib/core/declarations.ts), one object per certificate. */
  declaredPrefix: 'declared/',
  declared: (name: string) => `declared/${assertCertName(name)}.json`,
  /** Every declaration in one object, so a sweep reads one object whatever the count ("_" cannot start a name). */
  declaredIndex: 'declared/_index.json',

  locksPrefix: 'locks/',
  lock: (name: string) => `locks/${assertCertName(name)}.json`,
} as const;

function assertSerial(serial: string): string {
  if (!/^[0-9a-f]{1,64}$/.test(serial)) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, `certificate serial "${serial}" is not lowercase hex`);
  }
  return serial;
}
