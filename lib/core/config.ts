import { readCertificates, type CertificateSpec } from './certificate-set.js';
import { ConfigReader, type Env } from './config-reader.js';
import { readExportConfig, type ExportConfig } from './exports.js';
import { DEFAULT_EXPIRY_ALARM_DAYS, readEventBus } from './events.js';
import { profileNameLimitProblem } from './profiles.js';
import {
  KNOWN_DIRECTORIES,
  readBucketName,
  readContactEmail,
  readDirectoryUrls,
  readEab,
  readJwkRefreshSeconds,
  readKeyType,
  readProfile,
  readRegion,
  readRegionList,
  readRenewBeforeDays,
  type KeyType,
} from './rules.js';

/**
 * Typed configuration of the issuer and the responder from environment variables (loaded by
 * `just` from `.env` locally, set by the stack on AWS: lib/core/issuer-environment.ts). Every
 * reader names the variable and the expected form when a value is wrong, and every problem is
 * reported at once. Order of sources: process environment only; `.env` is never read here.
 */
export { ConfigReader, type Env } from './config-reader.js';
export { KEY_TYPES, KNOWN_DIRECTORIES, type KeyType } from './rules.js';

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
  /** ACME_DIRECTORY's first CA: the account's home CA (register, health) and the one ACME_EAB_* binds. */
  readonly directoryUrl: string;
  /** ACME_DIRECTORY in order (directoryUrl first): the CAs a certificate without `ca=` fails over along. */
  readonly directoryUrls: readonly string[];
  readonly contactEmail: string | undefined;
  readonly accountKeyType: KeyType;
  readonly certKeyType: KeyType;
  /** ACME_EAB_KID / ACME_EAB_HMAC_KEY: the binding at directoryUrl. */
  readonly eab: ExternalAccountBinding | undefined;
  /** Bindings at other CAs by directory URL (ACME_EAB_*_ZEROSSL): each CA issues its own. */
  readonly caEab: Readonly<Record<string, ExternalAccountBinding>>;
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
  /** The responders' JWK_REFRESH_SECONDS: `rollover` publishes the next key this long (and a margin) before they answer with it. */
  readonly jwkRefreshSeconds: number;
  /** EventBridge events on every state change (lib/core/events.ts). */
  readonly events: {
    /** Bus name or ARN (`default`: the account's default bus); undefined: EVENT_BUS=none, no events. */
    readonly bus: string | undefined;
    /** `Certificate Expiring` below this many days left (the stack sets the expiry alarm's threshold). */
    readonly expiringDays: number;
  };
}

export function readAwsConfig(reader: ConfigReader): AwsConfig {
  return { region: readRegion(reader, 'AWS_REGION', 'us-east-1'), endpointUrl: reader.url('AWS_ENDPOINT_URL') };
}

export function readBucket(reader: ConfigReader): string {
  return readBucketName(reader, 'CERT_BUCKET');
}

export function parseIssuerConfig(env: Env): IssuerConfig {
  const reader = new ConfigReader(env);
  const directoryUrls = readDirectoryUrls(reader, 'ACME_DIRECTORY');
  const zerosslEab = readEab(reader, 'ACME_EAB_KID_ZEROSSL', 'ACME_EAB_HMAC_KEY_ZEROSSL');
  const config: IssuerConfig = {
    aws: readAwsConfig(reader),
    bucket: readBucket(reader),
    kmsKeyId: reader.optionalString('CERT_KMS_KEY_ID'),
    directoryUrl: directoryUrls[0]!,
    directoryUrls,
    contactEmail: readContactEmail(reader, 'ACME_CONTACT_EMAIL'),
    accountKeyType: readKeyType(reader, 'ACME_ACCOUNT_KEY_TYPE', 'ec-p256'),
    certKeyType: readKeyType(reader, 'CERT_KEY_TYPE', 'rsa-2048'),
    eab: readEab(reader, 'ACME_EAB_KID', 'ACME_EAB_HMAC_KEY'),
    caEab: zerosslEab === undefined ? {} : { [KNOWN_DIRECTORIES.zerossl]: zerosslEab },
    acmeTlsCaFile: reader.optionalString('ACME_TLS_CA_FILE'),
    pollMinMs: reader.integer('ACME_POLL_MIN_MS', { default: 2000, min: 10, max: 60000 }),
    acmImport: reader.boolean('ACM_IMPORT', true),
    acmExtraRegions: readRegionList(reader, 'ACM_EXTRA_REGIONS'),
    renewBeforeDays: readRenewBeforeDays(reader, 'RENEW_BEFORE_DAYS'),
    profile: readProfile(reader, 'ACME_PROFILE'),
    certificates: readCertificates(reader, env, 'CERTIFICATES'),
    exports: readExportConfig(reader),
    leaseSeconds: reader.integer('LEASE_SECONDS', { default: 600, min: 1, max: 86400 }),
    jwkRefreshSeconds: readJwkRefreshSeconds(reader, 'JWK_REFRESH_SECONDS'),
    events: {
      bus: readEventBus(reader, 'EVENT_BUS'),
      expiringDays: reader.integer('EXPIRING_EVENT_DAYS', { default: DEFAULT_EXPIRY_ALARM_DAYS, min: 1, max: 90 }),
    },
  };
  // A profile's name limit, checked before any run orders (the CA refuses such an order only after the authorizations)
  for (const spec of config.certificates) {
    const problem = profileNameLimitProblem(
      spec.profile ?? config.profile,
      spec.domains,
      `CERTIFICATES entry "${spec.name}"${spec.profile === undefined && config.profile !== undefined ? ` (ACME_PROFILE=${config.profile})` : ''}`,
    );
    if (problem !== undefined) reader.report(`${problem.message}: ${problem.hint}`);
  }
  return reader.done(config);
}

export interface ResponderConfig {
  readonly aws: AwsConfig;
  readonly bucket: string;
  /** How long a computed thumbprint is trusted before jwk.json is read again. */
  readonly jwkRefreshSeconds: number;
}

/** The External Account Binding to register at `directoryUrl` with: never one CA's credentials at another. */
export function eabFor(config: Pick<IssuerConfig, 'directoryUrl' | 'eab' | 'caEab'>, directoryUrl: string): ExternalAccountBinding | undefined {
  return config.caEab[directoryUrl] ?? (directoryUrl === config.directoryUrl ? config.eab : undefined);
}

export function parseResponderConfig(env: Env): ResponderConfig {
  const reader = new ConfigReader(env);
  return reader.done({
    aws: readAwsConfig(reader),
    bucket: readBucket(reader),
    jwkRefreshSeconds: readJwkRefreshSeconds(reader, 'JWK_REFRESH_SECONDS'),
  });
}

/** Client settings shared by every AWS SDK client we make (plain data: the core imports no SDK). */
export function awsClientSettings(aws: AwsConfig): { region: string; endpoint?: string; forcePathStyle?: boolean } {
  // moto and LocalStack serve S3 on one host, so bucket names go in the path there.
  return aws.endpointUrl === undefined ? { region: aws.region } : { region: aws.region, endpoint: aws.endpointUrl, forcePathStyle: true };
}
