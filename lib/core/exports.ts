import type { ConfigReader } from './config-reader.js';
import { LISTENER_ARN } from './rules.js';

/**
 * Where a certificate is handed over besides S3 and ACM. Each kind is opt-in, per certificate
 * (`;export=secrets,ssm` in CERTIFICATES) or for all (EXPORTS); the stack grants IAM for a kind
 * only when some certificate uses it, from the same names (lib/constructs/issuer-task.ts).
 */
export const EXPORT_KINDS = ['secrets', 'ssm'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** What one export wrote: its stable identifier and the version this run created. */
export interface ExportRecord {
  /** secretsmanager | ssm | listener */
  readonly kind: 'secretsmanager' | 'ssm' | 'listener';
  /** Secret ARN, parameter name, or listener ARN: unchanged across renewals. */
  readonly id: string;
  /** Secret VersionId, parameter version, or the certificate ARN attached to the listener. */
  readonly version: string;
  readonly serial: string;
  readonly exportedAt: string;
}

export interface ExportConfig {
  /** Kinds for certificates whose CERTIFICATES entry has no `export=` option (and for `issue`). */
  readonly defaults: readonly ExportKind[];
  /** Secret names are PREFIX + certificate name. */
  readonly secretPrefix: string;
  /** Parameter names are PREFIX + certificate name (a path: starts and ends with "/"). */
  readonly ssmPrefix: string;
  /** KMS key for the secrets and SecureString parameters; undefined: the services' AWS-managed keys. */
  readonly kmsKeyId: string | undefined;
  /** Attach each certificate imported in this listener's region to it (SNI), once. */
  readonly httpsListenerArn: string | undefined;
}

export const DEFAULT_SECRET_PREFIX = 'acme/';
export const DEFAULT_SSM_PREFIX = '/acme/';
export const SECRET_PREFIX = /^[A-Za-z0-9/_+=.@-]{0,200}$/;
export const SSM_PREFIX = /^\/([A-Za-z0-9_.-]+\/)*$/;

/** Parses `secrets,ssm` or `none`; returns the problem text instead of kinds when it is wrong. */
export function parseExportKinds(value: string): ExportKind[] | { problem: string } {
  if (value === 'none') return [];
  const kinds = value.split(',').filter((kind) => kind !== '');
  const unknown = kinds.filter((kind) => !(EXPORT_KINDS as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length > 0) return { problem: `expected ${EXPORT_KINDS.join(', ')} (comma-separated) or none` };
  return [...new Set(kinds)] as ExportKind[];
}

export function secretNameOf(prefix: string, name: string): string {
  return `${prefix}${name}`;
}

export function parameterNameOf(prefix: string, name: string): string {
  return `${prefix}${name}`;
}

/** The listener's region, from its ARN (certificates must be in the listener's region). */
export function regionOfArn(arn: string): string {
  return arn.split(':')[3] ?? '';
}

/**
 * The load balancer a listener belongs to: what ACM's InUseBy names for a certificate attached to
 * any of its listeners (arn:…:listener/app/NAME/LB_ID/LISTENER_ID → arn:…:loadbalancer/app/NAME/LB_ID).
 */
export function loadBalancerOfListener(listenerArn: string): string {
  return listenerArn.replace(':listener/', ':loadbalancer/').replace(/\/[^/]+$/, '');
}

/** `delete --recovery-days`: Secrets Manager's own bounds for DeleteSecret's recovery window. */
export const SECRET_RECOVERY_DAYS = { min: 7, max: 30, default: 7 } as const;

/** Export kinds from `name` (EXPORTS, DEPLOY_EXPORTS): `secrets,ssm`, `none` or empty. */
export function readExportKinds(reader: ConfigReader, name: string): ExportKind[] {
  const raw = reader.optionalString(name);
  if (raw === undefined) return [];
  const parsed = parseExportKinds(raw);
  if (Array.isArray(parsed)) return parsed;
  reader.report(`${reader.quote(name, raw)} is not valid; ${parsed.problem}`);
  return [];
}

export function readSecretPrefix(reader: ConfigReader, name: string): string {
  return reader.string(name, { default: DEFAULT_SECRET_PREFIX, pattern: SECRET_PREFIX, expected: 'a secret name prefix such as acme/ (letters, digits, /_+=.@-)' });
}

export function readSsmPrefix(reader: ConfigReader, name: string): string {
  return reader.string(name, { default: DEFAULT_SSM_PREFIX, pattern: SSM_PREFIX, expected: 'a parameter path such as /acme/ (starts and ends with /)' });
}

export function readExportConfig(reader: ConfigReader): ExportConfig {
  return {
    defaults: readExportKinds(reader, 'EXPORTS'),
    secretPrefix: readSecretPrefix(reader, 'EXPORT_SECRET_PREFIX'),
    ssmPrefix: readSsmPrefix(reader, 'EXPORT_SSM_PREFIX'),
    kmsKeyId: reader.optionalString('EXPORT_KMS_KEY_ID'),
    httpsListenerArn: reader.optionalString('HTTPS_LISTENER_ARN', {
      pattern: LISTENER_ARN,
      expected: 'the ARN of an HTTPS listener (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)',
    }),
  };
}
