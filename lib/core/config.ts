import { parseCertificateSet, type CertificateSpec } from './certificate-set.js';
import { ErrorCodes, IssuerError } from './errors.js';
import { readExportConfig, type ExportConfig } from './exports.js';

/**
 * Typed configuration from environment variables (loaded by `just` from `.env`). Every reader
 * names the variable and the expected form when a value is wrong, and `collect` gathers all
 * problems so a person fixes them in one go. Order of sources: process environment only;
 * `.env` reaches it through just's dotenv-load, never read here.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export const KEY_TYPES = ['rsa-2048', 'ec-p256'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** Directory URLs by name; anything else must be an https URL of an RFC 8555 directory. */
export const KNOWN_DIRECTORIES = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  zerossl: 'https://acme.zerossl.com/v2/DV90',
} as const;

export class ConfigReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  private problem(name: string, expected: string, value: string | undefined): undefined {
    this.problems.push(
      value === undefined ? `${name} is not set; expected ${expected}` : `${name}="${value}" is not valid; expected ${expected}`,
    );
    return undefined;
  }

  string(name: string, options: { default?: string; pattern?: RegExp; expected?: string } = {}): string {
    const value = this.raw(name) ?? options.default;
    const expected = options.expected ?? 'a non-empty string';
    if (value === undefined) return this.problem(name, expected, undefined) ?? '';
    if (options.pattern !== undefined && !options.pattern.test(value)) return this.problem(name, expected, value) ?? '';
    return value;
  }

  optionalString(name: string, options: { pattern?: RegExp; expected?: string } = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (options.pattern !== undefined && !options.pattern.test(value)) {
      return this.problem(name, options.expected ?? 'a valid value', value);
    }
    return value;
  }

  oneOf<const T extends readonly string[]>(name: string, choices: T, fallback: T[number]): T[number] {
    const value = this.raw(name) ?? fallback;
    if (!choices.includes(value)) return this.problem(name, `one of ${choices.join(', ')}`, value) ?? fallback;
    return value as T[number];
  }

  integer(name: string, options: { default: number; min: number; max: number }): number {
    const value = this.raw(name);
    if (value === undefined) return options.default;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < options.min || parsed > options.max) {
      return this.problem(name, `an integer from ${options.min} to ${options.max}`, value) ?? options.default;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    return this.problem(name, 'true or false', value) ?? fallback;
  }

  url(name: string, options: { default?: string; protocols?: readonly string[] } = {}): string | undefined {
    const value = this.raw(name) ?? options.default;
    if (value === undefined) return undefined;
    const protocols = options.protocols ?? ['https:', 'http:'];
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      return this.problem(name, `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`, value);
    }
  }

  /** Records a problem found by the caller (cross-variable rules). */
  report(message: string): void {
    this.problems.push(message);
  }

  /** Throws once with every problem found. */
  done<T>(value: T): T {
    if (this.problems.length > 0) {
      throw new IssuerError(ErrorCodes.CONFIG_INVALID, `configuration is not valid:\n  - ${this.problems.join('\n  - ')}`, {
        hint: 'fix the variables above in .env (every variable is documented in .env.example and docs/configuration.md)',
      });
    }
    return value;
  }
}

const BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// RFC 5322 specials (":" of a pasted "mailto:", "<>", quotes...) are refused here: the issuer adds
// "mailto:" itself and a CA refuses such an address only after the account key is made.
const EMAIL = /^[^\s@,:;<>()[\]\\"]+@[^\s@,:;<>()[\]\\"]+\.[^\s@,:;<>()[\]\\"]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export interface AwsConfig {
  readonly region: string;
  /** moto, LocalStack or any S3/ACM-compatible endpoint; undefined means real AWS. */
  readonly endpointUrl: string | undefined;
}

export interface ExternalAccountBinding {
  readonly kid: string;
  readonly hmacKey: string;
}

export interface IssuerConfig {
  readonly aws: AwsConfig;
  readonly bucket: string;
  /** KMS key for SSE-KMS on every object we write; undefined uses the bucket's default key. */
  readonly kmsKeyId: string | undefined;
  readonly directoryUrl: string;
  readonly contactEmail: string | undefined;
  readonly accountKeyType: KeyType;
  readonly certKeyType: KeyType;
  readonly eab: ExternalAccountBinding | undefined;
  /** PEM file of extra roots trusted for the CA's HTTPS endpoint (private CA, local pebble). */
  readonly acmeTlsCaFile: string | undefined;
  /** Smallest poll interval against the CA; lower it only for a local CA. */
  readonly pollMinMs: number;
  readonly acmImport: boolean;
  /** Regions to import into besides AWS_REGION (us-east-1 for CloudFront). */
  readonly acmExtraRegions: readonly string[];
  /** Fixed "renew N days before expiry" rule instead of ARI / a third of the lifetime. */
  readonly renewBeforeDays: number | undefined;
  /** ACME profile to request where the CA offers profiles. */
  readonly profile: string | undefined;
  /** The declarative certificate set that `renew` reconciles (CERTIFICATES). */
  readonly certificates: readonly CertificateSpec[];
  /** Secrets Manager / SSM / HTTPS listener hand-over (lib/core/exports.ts). */
  readonly exports: ExportConfig;
  /** How long a certificate's lease lasts, so a crashed issuer blocks others only this long. */
  readonly leaseSeconds: number;
}

export function readAwsConfig(reader: ConfigReader): AwsConfig {
  return {
    region: reader.string('AWS_REGION', { default: 'us-east-1', pattern: REGION, expected: 'an AWS region such as eu-west-1' }),
    endpointUrl: reader.url('AWS_ENDPOINT_URL'),
  };
}

export function readBucket(reader: ConfigReader): string {
  return reader.string('CERT_BUCKET', { pattern: BUCKET, expected: 'an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)' });
}

export function resolveDirectoryUrl(reader: ConfigReader): string {
  const expected = `${Object.keys(KNOWN_DIRECTORIES).join(', ')} or an https:// directory URL`;
  const value = reader.string('ACME_DIRECTORY', { default: 'letsencrypt-staging', expected });
  if (value in KNOWN_DIRECTORIES) return KNOWN_DIRECTORIES[value as keyof typeof KNOWN_DIRECTORIES];
  // Not a URL at all: most likely a mistyped CA name, so list the names.
  if (!value.includes('://')) {
    reader.report(`ACME_DIRECTORY="${value}" is not valid; expected ${expected}`);
    return value;
  }
  return reader.url('ACME_DIRECTORY', { protocols: ['https:'] }) ?? value;
}

export function parseIssuerConfig(env: Env): IssuerConfig {
  const reader = new ConfigReader(env);
  const eabKid = reader.optionalString('ACME_EAB_KID');
  const eabHmacKey = reader.optionalString('ACME_EAB_HMAC_KEY', { pattern: /^[A-Za-z0-9_-]+={0,2}$/, expected: 'the base64url HMAC key your CA gave you' });
  if ((eabKid === undefined) !== (eabHmacKey === undefined)) {
    reader.report('ACME_EAB_KID and ACME_EAB_HMAC_KEY must be set together (External Account Binding from your CA)');
  }
  const config: IssuerConfig = {
    aws: readAwsConfig(reader),
    bucket: readBucket(reader),
    kmsKeyId: reader.optionalString('CERT_KMS_KEY_ID'),
    directoryUrl: resolveDirectoryUrl(reader),
    contactEmail: reader.optionalString('ACME_CONTACT_EMAIL', { pattern: EMAIL, expected: 'one email address such as ops@example.com' }),
    accountKeyType: reader.oneOf('ACME_ACCOUNT_KEY_TYPE', KEY_TYPES, 'ec-p256'),
    certKeyType: reader.oneOf('CERT_KEY_TYPE', KEY_TYPES, 'rsa-2048'),
    eab: eabKid !== undefined && eabHmacKey !== undefined ? { kid: eabKid, hmacKey: eabHmacKey } : undefined,
    acmeTlsCaFile: reader.optionalString('ACME_TLS_CA_FILE'),
    pollMinMs: reader.integer('ACME_POLL_MIN_MS', { default: 2000, min: 10, max: 60000 }),
    acmImport: reader.boolean('ACM_IMPORT', true),
    acmExtraRegions: (reader.optionalString('ACM_EXTRA_REGIONS', { pattern: /^[a-z]{2}(-[a-z]+)+-\d(,[a-z]{2}(-[a-z]+)+-\d)*$/, expected: 'comma-separated AWS regions such as us-east-1,eu-west-1' }) ?? '')
      .split(',')
      .filter((region) => region !== ''),
    renewBeforeDays: reader.optionalString('RENEW_BEFORE_DAYS', { pattern: /^([1-9]|[1-9][0-9]|[1-2][0-9][0-9]|3[0-5][0-9]|36[0-5])$/, expected: 'a whole number of days from 1 to 365' }) === undefined ? undefined : Number(env.RENEW_BEFORE_DAYS),
    profile: reader.optionalString('ACME_PROFILE', { pattern: /^[A-Za-z0-9._-]{1,64}$/, expected: 'a profile name the CA lists (e.g. classic, tlsserver, shortlived)' }),
    certificates: readCertificates(reader, env),
    exports: readExportConfig(reader),
    leaseSeconds: reader.integer('LEASE_SECONDS', { default: 600, min: 1, max: 86400 }),
  };
  return reader.done(config);
}

export interface ResponderConfig {
  readonly aws: AwsConfig;
  readonly bucket: string;
  /** How long a computed thumbprint is trusted before jwk.json is read again. */
  readonly jwkRefreshSeconds: number;
}

export function parseResponderConfig(env: Env): ResponderConfig {
  const reader = new ConfigReader(env);
  return reader.done({
    aws: readAwsConfig(reader),
    bucket: readBucket(reader),
    jwkRefreshSeconds: reader.integer('JWK_REFRESH_SECONDS', { default: 300, min: 0, max: 86400 }),
  });
}

/** Client settings shared by every AWS SDK client we make (plain data: the core imports no SDK). */
export function awsClientSettings(aws: AwsConfig): { region: string; endpoint?: string; forcePathStyle?: boolean } {
  // moto and LocalStack serve S3 on one host, so bucket names go in the path there.
  return aws.endpointUrl === undefined
    ? { region: aws.region }
    : { region: aws.region, endpoint: aws.endpointUrl, forcePathStyle: true };
}

function readCertificates(reader: ConfigReader, env: Env): CertificateSpec[] {
  try {
    return parseCertificateSet(env.CERTIFICATES);
  } catch (error) {
    reader.report(error instanceof Error ? error.message : String(error));
    return [];
  }
}
