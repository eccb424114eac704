import type { SecretVariable } from './config-reader.js';
import type { DeployConfig } from './deploy-config.js';
import { EVENT_BUS_OFF } from './events.js';

/**
 * The environment the deployed stack gives the issuer task: every variable, in one function next
 * to the parser that reads it (parseIssuerConfig in ./config.ts). The stack calls it with its
 * resources as CDK tokens; tests call it with sample values and parse the result, so a value that
 * synth accepts and the task refuses (or a variable the task needs and the template lacks) fails a
 * test instead of every scheduled run.
 */
export interface IssuerTaskResources {
  /** The stack's region. */
  readonly region: string;
  readonly bucketName: string;
  /** The store's KMS key (SSE-KMS on every object the issuer writes). */
  readonly storeKeyArn: string;
  /** The key of the Secrets Manager / SSM copies; present exactly when some certificate exports. */
  readonly exportKeyArn?: string | undefined;
  /** The :443 listener the issuer attaches certificates to, when the stack made one. */
  readonly httpsListenerArn?: string | undefined;
  /** The challenge ALB's DNS name, when the stack made it: the pre-flight names "DNS points elsewhere" with it. */
  readonly albDnsName?: string | undefined;
}

/** Variables ECS injects from Secrets Manager at task start: never in the template, never quoted in an error. */
export const ISSUER_SECRET_VARIABLES = ['ACME_EAB_HMAC_KEY', 'ACME_EAB_HMAC_KEY_ZEROSSL'] as const satisfies readonly SecretVariable[];

/** The deployed issuer polls a public CA no faster than certbot does (the bench counts requests at this pace too). */
export const DEPLOYED_POLL_MIN_MS = '2000';

export function issuerTaskEnvironment(config: DeployConfig, resources: IssuerTaskResources): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: resources.region,
    CERT_BUCKET: resources.bucketName,
    CERT_KMS_KEY_ID: resources.storeKeyArn,
    ACME_DIRECTORY: config.directoryUrl,
    ACME_ACCOUNT_KEY_TYPE: config.accountKeyType,
    CERT_KEY_TYPE: config.certKeyType,
    ACME_POLL_MIN_MS: DEPLOYED_POLL_MIN_MS,
    ACM_IMPORT: String(config.acmImport),
    EVENT_BUS: config.events.bus ?? EVENT_BUS_OFF,
    // The expiry alarm's threshold, so the Expiring event and the alarm agree on "expiring".
    EXPIRING_EVENT_DAYS: String(config.alarms.expiryDays),
    // The responders' cache time, so `rollover` waits exactly as long as they trust an old jwk.json.
    JWK_REFRESH_SECONDS: String(config.jwkRefreshSeconds),
  };
  if (config.contactEmail !== undefined) env['ACME_CONTACT_EMAIL'] = config.contactEmail;
  if (config.eabKid !== undefined) env['ACME_EAB_KID'] = config.eabKid;
  if (config.zerosslEab !== undefined) env['ACME_EAB_KID_ZEROSSL'] = config.zerosslEab.kid;
  if (config.certificates !== undefined) env['CERTIFICATES'] = config.certificates;
  if (config.renewBeforeDays !== undefined) env['RENEW_BEFORE_DAYS'] = String(config.renewBeforeDays);
  if (config.acmeProfile !== undefined) env['ACME_PROFILE'] = config.acmeProfile;
  if (config.acmImport && config.acmGlobalExtraRegions.length > 0) env['ACM_EXTRA_REGIONS'] = config.acmGlobalExtraRegions.join(',');
  if (config.exports.used.length > 0) {
    if (resources.exportKeyArn === undefined) throw new TypeError('issuerTaskEnvironment: some certificate exports, but no exportKeyArn was given');
    env['EXPORTS'] = config.exports.defaults.join(',') || 'none';
    env['EXPORT_KMS_KEY_ID'] = resources.exportKeyArn;
    if (config.exports.used.includes('secrets')) env['EXPORT_SECRET_PREFIX'] = config.exports.secretPrefix;
    if (config.exports.used.includes('ssm')) env['EXPORT_SSM_PREFIX'] = config.exports.ssmPrefix;
  }
  if (config.acmImport && resources.httpsListenerArn !== undefined) env['HTTPS_LISTENER_ARN'] = resources.httpsListenerArn;
  // The pre-flight's port and resolver keep their production defaults (80, the VPC's resolver):
  // what the CA uses, and what the task's security group opens (lib/core/network.ts).
  if (resources.albDnsName !== undefined) env['ALB_DNS_NAME'] = resources.albDnsName;
  return env;
}
