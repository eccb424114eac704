import type { ConfigReader } from './config-reader.js';

/**
 * The rule for every value the deployed stack hands to the issuer, written once and read under
 * either name: `ACME_CONTACT_EMAIL` by the issuer at run time, `DEPLOY_ACME_CONTACT_EMAIL` by
 * synth. Two copies of a rule drift (synth accepted `mailto:x@y`, every scheduled run then exited
 * 2); one copy cannot, and tests/core/issuer-environment.test.ts holds the two parsers together.
 */

export const KEY_TYPES = ['rsa-2048', 'ec-p256'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** Directory URLs by name; anything else must be an https URL of an RFC 8555 directory. */
export const KNOWN_DIRECTORIES = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  zerossl: 'https://acme.zerossl.com/v2/DV90',
} as const;

/**
 * Separator of an ordered CA list (`ca=letsencrypt|zerossl`, ACME_DIRECTORY): "," and ";" already
 * separate names and options of a CERTIFICATES entry, and "|" survives .env, just's dotenv-load
 * and a quoted shell value unchanged (it must be quoted on a shell command line, like ";").
 */
export const CA_LIST_SEPARATOR = '|';
const CA_URL = /^https:\/\/[^\s;|]+$/;

/** The directory URL of one CA given by name or as an https:// URL; undefined when it is neither. */
export function caDirectoryOf(value: string): string | undefined {
  if (Object.hasOwn(KNOWN_DIRECTORIES, value)) return KNOWN_DIRECTORIES[value as keyof typeof KNOWN_DIRECTORIES];
  return CA_URL.test(value) && URL.canParse(value) ? value : undefined;
}

/**
 * The one rule for an ordered CA list: CAs by name or https:// URL, separated by "|", the first
 * tried first, each at most once. Returns the directory URLs, or what is wrong.
 */
export function parseCaList(value: string): { readonly urls: string[] } | { readonly problem: string } {
  const parts = value.split(CA_LIST_SEPARATOR);
  const urls: string[] = [];
  for (const part of parts) {
    const url = caDirectoryOf(part.trim());
    if (url === undefined) return { problem: `"${part}" is not a CA; expected ${caChoices()}` };
    if (urls.includes(url)) return { problem: `"${part}" is listed twice` };
    urls.push(url);
  }
  return { urls };
}

function caChoices(): string {
  return `${Object.keys(KNOWN_DIRECTORIES).join(', ')} or an https:// directory URL, several in order separated by "${CA_LIST_SEPARATOR}"`;
}

export const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_EXPECTED = 'an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)';
// RFC 5322 specials (":" of a pasted "mailto:", "<>", quotes...) are refused here: the issuer adds
// "mailto:" itself and a CA refuses such an address only after the account key is made.
export const EMAIL_ADDRESS = /^[^\s@,:;<>()[\]\\"]+@[^\s@,:;<>()[\]\\"]+\.[^\s@,:;<>()[\]\\"]+$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const REGION_LIST = /^[a-z]{2}(-[a-z]+)+-\d(,[a-z]{2}(-[a-z]+)+-\d)*$/;
export const PROFILE = /^[A-Za-z0-9._-]{1,64}$/;
/** An ALB listener: the stack's :80 one (DEPLOY_ALB_LISTENER_ARN) or the :443 one the issuer attaches to (HTTPS_LISTENER_ARN). */
export const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[A-Za-z0-9-]+\/[0-9a-f]+\/[0-9a-f]+$/;

export function readRegion(reader: ConfigReader, name: string, fallback: string): string {
  return reader.string(name, { default: fallback, pattern: REGION, expected: 'an AWS region such as eu-west-1' });
}

export function readBucketName(reader: ConfigReader, name: string): string {
  return reader.string(name, { pattern: BUCKET_NAME, expected: BUCKET_EXPECTED });
}

export function readOptionalBucketName(reader: ConfigReader, name: string): string | undefined {
  return reader.optionalString(name, { pattern: BUCKET_NAME, expected: `${BUCKET_EXPECTED}, or empty for a generated name` });
}

export function readContactEmail(reader: ConfigReader, name: string): string | undefined {
  return reader.optionalString(name, { pattern: EMAIL_ADDRESS, expected: 'one email address such as ops@example.com (no "mailto:": the issuer adds it)' });
}

export function readKeyType(reader: ConfigReader, name: string, fallback: KeyType): KeyType {
  return reader.oneOf(name, KEY_TYPES, fallback);
}

/** A CA by name or an https:// directory URL; names the CAs when the value is not a URL at all. */
export function readDirectoryUrl(reader: ConfigReader, name: string, expectedSuffix = ''): string {
  const expected = `${Object.keys(KNOWN_DIRECTORIES).join(', ')} or an https:// directory URL${expectedSuffix}`;
  const value = reader.string(name, { default: 'letsencrypt-staging', expected });
  if (value in KNOWN_DIRECTORIES) return KNOWN_DIRECTORIES[value as keyof typeof KNOWN_DIRECTORIES];
  // Not a URL at all: most likely a mistyped CA name, so list the names.
  if (!value.includes('://')) {
    reader.report(`${reader.quote(name, value)} is not valid; expected ${expected}`);
    return value;
  }
  return reader.url(name, { protocols: ['https:'] }) ?? value;
}

/**
 * ACME_DIRECTORY: one CA, or an ordered list (parseCaList) that certificates without their own
 * `ca=` fail over along. The first is the account's home CA (register, health, ACME_EAB_*).
 */
export function readDirectoryUrls(reader: ConfigReader, name: string, expectedSuffix = ''): string[] {
  const value = reader.string(name, { default: 'letsencrypt-staging', expected: caChoices() });
  if (!value.includes(CA_LIST_SEPARATOR)) return [readDirectoryUrl(reader, name, expectedSuffix)];
  const parsed = parseCaList(value);
  if ('problem' in parsed) {
    reader.report(`${reader.quote(name, value)} is not valid: ${parsed.problem}`);
    return [value];
  }
  return parsed.urls;
}

/** An External Account Binding (RFC 8555 §7.3.4) from a pair of variables that are set together or not at all. */
export function readEab(reader: ConfigReader, kidName: string, hmacKeyName: string): { kid: string; hmacKey: string } | undefined {
  const kid = reader.optionalString(kidName);
  const hmacKey = reader.optionalString(hmacKeyName, { pattern: /^[A-Za-z0-9_-]+={0,2}$/, expected: 'the base64url HMAC key your CA gave you' });
  if ((kid === undefined) !== (hmacKey === undefined)) reader.report(`${kidName} and ${hmacKeyName} must be set together (External Account Binding from your CA)`);
  return kid !== undefined && hmacKey !== undefined ? { kid, hmacKey } : undefined;
}

export function readProfile(reader: ConfigReader, name: string): string | undefined {
  return reader.optionalString(name, { pattern: PROFILE, expected: 'a profile name the CA lists (e.g. classic, tlsserver, shortlived)' });
}

/** The fixed "renew N days before expiry" rule; undefined: ARI / a third of the lifetime. */
export function readRenewBeforeDays(reader: ConfigReader, name: string): number | undefined {
  const value = reader.optionalString(name, { pattern: /^(36[0-5]|3[0-5]\d|[12]\d\d|[1-9]\d?)$/, expected: 'a whole number of days from 1 to 365' });
  return value === undefined ? undefined : Number(value);
}

export function readRegionList(reader: ConfigReader, name: string): string[] {
  const value = reader.optionalString(name, { pattern: REGION_LIST, expected: 'comma-separated AWS regions such as us-east-1,eu-west-1' });
  return value === undefined ? [] : value.split(',');
}

export function readJwkRefreshSeconds(reader: ConfigReader, name: string): number {
  return reader.integer(name, { default: 300, min: 0, max: 86400 });
}
