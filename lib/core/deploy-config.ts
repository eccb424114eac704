import { readIamArnList } from './api-config.js';
import { readCertificates, type CertificateSpec } from './certificate-set.js';
import { ConfigReader, type Env } from './config-reader.js';
import { DEFAULT_EXPIRY_ALARM_DAYS, readEventBus } from './events.js';
import { readExportKinds, readSecretPrefix, readSsmPrefix, type ExportKind } from './exports.js';
import {
  readContactEmail,
  CA_LIST_SEPARATOR,
  readDirectoryUrls,
  readJwkRefreshSeconds,
  readKeyType,
  readOptionalBucketName,
  readProfile,
  readRegionList,
  readRenewBeforeDays,
  EMAIL_ADDRESS,
  LISTENER_ARN,
  REGION,
  type KeyType,
} from './rules.js';

/**
 * Configuration of the deployed stack (bin/app.ts), read from `DEPLOY_*` variables only.
 * The stack never reads the local-stack variables (ACME_DIRECTORY, AWS_ENDPOINT_URL, ...):
 * their defaults point at pebble and moto, which a deployed issuer cannot reach, so one `.env`
 * can serve both without a local value leaking into AWS. Pure: no CDK import, so the rules are
 * table-tested like the rest of the core and synth fails with the variable's name.
 */

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const TASK_SUBNET_KINDS = ['public', 'private'] as const;
export type TaskSubnetKind = (typeof TASK_SUBNET_KINDS)[number];

export interface DeployNetworkConfig {
  /** An existing VPC; undefined creates one (two AZs, public subnets, no NAT unless private). */
  readonly vpcId: string | undefined;
  /** Availability zones of the subnets below, in the same order (existing VPC only). */
  readonly availabilityZones: readonly string[];
  /** Public subnets for the ALB (existing VPC, ALB created by the stack). */
  readonly albSubnetIds: readonly string[];
  /** Subnets the issuer task runs in (existing VPC). */
  readonly taskSubnetIds: readonly string[];
  /** public: public IP, no NAT (default). private: no public IP; needs a NAT (created when the stack makes the VPC). */
  readonly taskSubnets: TaskSubnetKind;
}

export interface ExistingListenerConfig {
  readonly listenerArn: string;
  readonly rulePriority: number;
}

export interface DeployConfig {
  readonly stackName: string;
  /** Region for the just recipes (AWS CLI); the synthesized stack itself is environment-agnostic. */
  readonly region: string | undefined;
  /** Bucket name; undefined lets CloudFormation generate one. */
  readonly bucketName: string | undefined;
  /** DEPLOY_ACME_DIRECTORY's directory URL, or its CAs' joined by "|" in failover order: the task's ACME_DIRECTORY. */
  readonly directoryUrl: string;
  readonly contactEmail: string | undefined;
  readonly accountKeyType: KeyType;
  readonly certKeyType: KeyType;
  /** EAB key id; the HMAC key itself stays in Secrets Manager. */
  readonly eabKid: string | undefined;
  readonly eabHmacSecretArn: string | undefined;
  /** ZeroSSL's EAB when it is a failover CA (not DEPLOY_ACME_DIRECTORY's first); the HMAC key stays in Secrets Manager. */
  readonly zerosslEab?: { readonly kid: string; readonly hmacSecretArn: string } | undefined;
  readonly acmImport: boolean;
  /** The declarative certificate set, passed to the issuer unchanged (validated here). */
  readonly certificates: string | undefined;
  /** The same set, parsed: the stack derives per-option IAM from it. */
  readonly certificateSpecs: readonly CertificateSpec[];
  /** Every ACM region besides the stack's that some certificate is imported into; IAM is scoped to each. */
  readonly acmExtraRegions: readonly string[];
  /** DEPLOY_ACM_EXTRA_REGIONS alone: every certificate goes there (the issuer's ACM_EXTRA_REGIONS). */
  readonly acmGlobalExtraRegions: readonly string[];
  /** Fixed "renew N days before expiry" instead of ARI / a third of the lifetime. */
  readonly renewBeforeDays: number | undefined;
  /** ACME profile to request where the CA offers profiles. */
  readonly acmeProfile: string | undefined;
  /** Secrets Manager / SSM copies: defaults for every certificate, and the name prefixes. */
  readonly exports: {
    readonly defaults: readonly ExportKind[];
    /** Every kind any certificate uses (defaults and per-entry `export=`): what IAM is granted for. */
    readonly used: readonly ExportKind[];
    readonly secretPrefix: string;
    readonly ssmPrefix: string;
  };
  readonly alarms: {
    /** Address subscribed to the alarm topic (confirm the mail AWS sends). */
    readonly email: string | undefined;
    /** Alarm when the soonest-expiring certificate has fewer days left. */
    readonly expiryDays: number;
  };
  readonly jwkRefreshSeconds: number;
  /** Concurrent executions reserved for the responder (its ceiling too); undefined: none, it shares the account's pool. */
  readonly responderReservedConcurrency: number | undefined;
  readonly logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  /** The certificate API (lib/constructs/api.ts); undefined: DEPLOY_API=false. */
  readonly api: { readonly admins: readonly string[] } | undefined;
  readonly schedule: {
    readonly expression: string;
    readonly timezone: string;
    /** Flexible window in minutes (jitter); 0 turns it off. */
    readonly windowMinutes: number;
    readonly enabled: boolean;
  };
  readonly network: DeployNetworkConfig;
  /** Attach the challenge rule to this listener instead of creating an ALB. */
  readonly existingListener: ExistingListenerConfig | undefined;
  /** ACM certificate for an HTTPS listener on the created ALB (turns :80's default into a redirect). */
  readonly httpsCertificateArn: string | undefined;
  /** The issuer's EventBridge events (lib/core/events.ts) and where the stack routes them. */
  readonly events: {
    /** Bus name or ARN the issuer puts events on; undefined: DEPLOY_EVENT_BUS=none, no events and no grant. */
    readonly bus: string | undefined;
    /** An SNS topic (KMS-encrypted) receiving every event. */
    readonly snsTopic: boolean;
    /** SSM Run Command on instances with this tag after Issued/Renewed (certbot's --deploy-hook). */
    readonly reload: { readonly tagKey: string; readonly tagValue: string; readonly command: string } | undefined;
  };
}

// Deploy-only values (the issuer never reads them) are checked here; every value the issuer
// reads is checked by its one rule in ./rules.js, under the DEPLOY_ name.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_LIST = /^subnet-[0-9a-f]{8,17}(,subnet-[0-9a-f]{8,17})*$/;
const AZ_LIST = /^[a-z]{2}(-[a-z]+)+-\d[a-z](,[a-z]{2}(-[a-z]+)+-\d[a-z])*$/;
const SCHEDULE = /^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/;
const TIMEZONE = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/;
/** KEY=VALUE of an EC2 tag (no "=" in the key; values as EC2 allows them). */
const INSTANCE_TAG = /^[A-Za-z0-9 _.:/+@-]{1,128}=[A-Za-z0-9 _.:/+=@-]{0,256}$/;
export const DEFAULT_RELOAD_COMMAND = 'systemctl reload nginx';

/**
 * The responder's reserved concurrency unless DEPLOY_RESPONDER_RESERVED_CONCURRENCY says otherwise:
 * its ceiling, so a flood of challenge paths cannot take the account's other functions' concurrency,
 * and its floor, so a flood elsewhere cannot starve validations. 20 environments at a few
 * milliseconds a request answer thousands of requests a second, past what a 100-name order's
 * validations (a few CA vantage points per name) ask at once. AWS keeps 100 unreserved, so the
 * account's quota must be at least 120: new accounts (often 10) set `none` or ask for more.
 */
export const DEFAULT_RESPONDER_RESERVED_CONCURRENCY = 20;

function readReservedConcurrency(reader: ConfigReader, name: string): number | undefined {
  const raw = reader.optionalString(name, {
    // 0 is refused: Lambda reads a reservation of 0 as "never run this function"
    pattern: /^(none|[1-9]\d{0,4})$/,
    expected: `a number of concurrent executions from 1 to 99999 (default ${DEFAULT_RESPONDER_RESERVED_CONCURRENCY}), or none for no reservation (0 would stop the responder)`,
  });
  if (raw === undefined) return DEFAULT_RESPONDER_RESERVED_CONCURRENCY;
  return raw === 'none' ? undefined : Number(raw);
}

/** DEPLOY_RESPONDER_RESERVED_CONCURRENCY alone: the local stack's responder derives its ceiling from it (scripts/local/responder-asset.ts). */
export function parseResponderReservedConcurrency(env: Env): number | undefined {
  const reader = new ConfigReader(env);
  return reader.done(readReservedConcurrency(reader, 'DEPLOY_RESPONDER_RESERVED_CONCURRENCY'));
}

function isSet(env: Env, name: string): boolean {
  return (env[name]?.trim() ?? '') !== '';
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim());
}

export function parseDeployConfig(env: Env): DeployConfig {
  const reader = new ConfigReader(env);

  // One CA or a failover list (the issuer's ACME_DIRECTORY rule); every CA of it must be reachable from AWS.
  const directoryUrls = readDirectoryUrls(reader, 'DEPLOY_ACME_DIRECTORY', ' the deployed task can reach');
  for (const url of directoryUrls) {
    const host = URL.canParse(url) ? new URL(url).hostname : '';
    if (host === 'localhost' || host.startsWith('127.') || host === '[::1]') {
      reader.report(
        `${reader.quote('DEPLOY_ACME_DIRECTORY', directoryUrls.join(CA_LIST_SEPARATOR))} points at this machine; the deployed issuer cannot reach it (use letsencrypt-staging, letsencrypt, zerossl or a public https:// URL)`,
      );
    }
  }
  const directoryUrl = directoryUrls.join(CA_LIST_SEPARATOR);

  const eabKid = reader.optionalString('DEPLOY_ACME_EAB_KID');
  const eabHmacSecretArn = reader.optionalString('DEPLOY_ACME_EAB_HMAC_SECRET_ARN', {
    pattern: SECRET_ARN,
    expected: 'the ARN of a Secrets Manager secret holding the EAB HMAC key (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)',
  });
  if ((eabKid !== undefined) !== isSet(env, 'DEPLOY_ACME_EAB_HMAC_SECRET_ARN')) {
    reader.report('DEPLOY_ACME_EAB_KID and DEPLOY_ACME_EAB_HMAC_SECRET_ARN must be set together (External Account Binding from your CA)');
  }
  // ZeroSSL's own binding, for ZeroSSL as a failover CA (the task's ACME_EAB_*_ZEROSSL).
  const zerosslEabKid = reader.optionalString('DEPLOY_ACME_EAB_KID_ZEROSSL');
  const zerosslEabHmacSecretArn = reader.optionalString('DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL', {
    pattern: SECRET_ARN,
    expected: "the ARN of a Secrets Manager secret holding ZeroSSL's EAB HMAC key (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
  });
  if ((zerosslEabKid !== undefined) !== isSet(env, 'DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL')) {
    reader.report('DEPLOY_ACME_EAB_KID_ZEROSSL and DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL must be set together (ZeroSSL External Account Binding)');
  }

  const vpcId = reader.optionalString('DEPLOY_VPC_ID', { pattern: VPC_ID, expected: 'an existing VPC id such as vpc-0123456789abcdef0, or empty to create a VPC' });
  const subnetExpected = 'comma-separated subnet ids such as subnet-0123abcd,subnet-4567ef01';
  const azs = list(reader.optionalString('DEPLOY_AVAILABILITY_ZONES', { pattern: AZ_LIST, expected: 'comma-separated availability zones such as eu-west-1a,eu-west-1b' }));
  const albSubnetIds = list(reader.optionalString('DEPLOY_ALB_SUBNET_IDS', { pattern: SUBNET_LIST, expected: subnetExpected }));
  const taskSubnetIds = list(reader.optionalString('DEPLOY_TASK_SUBNET_IDS', { pattern: SUBNET_LIST, expected: subnetExpected }));
  const taskSubnets = reader.oneOf('DEPLOY_TASK_SUBNETS', TASK_SUBNET_KINDS, 'public');

  const listenerArn = reader.optionalString('DEPLOY_ALB_LISTENER_ARN', {
    pattern: LISTENER_ARN,
    expected: 'the ARN of an existing ALB listener on port 80 (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)',
  });
  const rulePriority = reader.integer('DEPLOY_ALB_RULE_PRIORITY', { default: 0, min: 1, max: 50000 });
  if (isSet(env, 'DEPLOY_ALB_LISTENER_ARN') && !isSet(env, 'DEPLOY_ALB_RULE_PRIORITY')) {
    reader.report('DEPLOY_ALB_RULE_PRIORITY is not set; expected a rule priority from 1 to 50000 that is free on DEPLOY_ALB_LISTENER_ARN');
  }
  if (!isSet(env, 'DEPLOY_ALB_LISTENER_ARN') && isSet(env, 'DEPLOY_ALB_RULE_PRIORITY')) {
    reader.report('DEPLOY_ALB_RULE_PRIORITY is set but DEPLOY_ALB_LISTENER_ARN is not; set both to use an existing listener, or neither');
  }
  const httpsCertificateArn = reader.optionalString('DEPLOY_HTTPS_CERTIFICATE_ARN', {
    pattern: ACM_ARN,
    expected: 'an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID), or empty for HTTP only',
  });
  if (httpsCertificateArn !== undefined && isSet(env, 'DEPLOY_ALB_LISTENER_ARN')) {
    reader.report('DEPLOY_HTTPS_CERTIFICATE_ARN applies to the ALB the stack creates; with DEPLOY_ALB_LISTENER_ARN your own ALB owns its listeners');
  }

  if (vpcId !== undefined) {
    const needAlb = !isSet(env, 'DEPLOY_ALB_LISTENER_ARN');
    if (taskSubnetIds.length === 0) reader.report(`DEPLOY_TASK_SUBNET_IDS is not set; with DEPLOY_VPC_ID expected ${subnetExpected} for the issuer task`);
    if (needAlb && albSubnetIds.length < 2) {
      reader.report(`DEPLOY_ALB_SUBNET_IDS needs at least two public subnets in different availability zones when DEPLOY_VPC_ID is set; expected ${subnetExpected}`);
    }
    if (azs.length === 0) {
      reader.report('DEPLOY_AVAILABILITY_ZONES is not set; with DEPLOY_VPC_ID expected the availability zones of the subnets, such as eu-west-1a,eu-west-1b');
    } else if ((albSubnetIds.length > 0 && albSubnetIds.length !== azs.length) || (taskSubnetIds.length > 0 && taskSubnetIds.length !== azs.length)) {
      reader.report('DEPLOY_AVAILABILITY_ZONES must list one zone per subnet, in the same order as DEPLOY_TASK_SUBNET_IDS (and DEPLOY_ALB_SUBNET_IDS)');
    }
  } else if (albSubnetIds.length > 0 || taskSubnetIds.length > 0 || azs.length > 0) {
    reader.report('DEPLOY_ALB_SUBNET_IDS, DEPLOY_TASK_SUBNET_IDS and DEPLOY_AVAILABILITY_ZONES apply only with DEPLOY_VPC_ID; set it or clear them');
  }

  const certificateSpecs = readCertificates(reader, env, 'DEPLOY_CERTIFICATES');
  const exportDefaults = readExportKinds(reader, 'DEPLOY_EXPORTS');
  const usedExports = [...new Set([...exportDefaults, ...certificateSpecs.flatMap((spec) => spec.exports ?? exportDefaults)])].sort();
  const globalExtraRegions = readRegionList(reader, 'DEPLOY_ACM_EXTRA_REGIONS');

  const eventBus = readEventBus(reader, 'DEPLOY_EVENT_BUS');
  const reloadTag = reader.optionalString('DEPLOY_EVENTS_RELOAD_TAG', { pattern: INSTANCE_TAG, expected: 'an EC2 tag KEY=VALUE (such as Role=web) selecting the instances to reload' });
  const reloadCommand = reader.string('DEPLOY_EVENTS_RELOAD_COMMAND', { default: DEFAULT_RELOAD_COMMAND, pattern: /^[^\n\r]{1,1024}$/, expected: 'one shell command line (such as systemctl reload nginx)' });
  const snsTopic = reader.boolean('DEPLOY_EVENTS_SNS', false);
  if (reloadTag !== undefined && !usedExports.includes('secrets')) {
    reader.report(
      'DEPLOY_EVENTS_RELOAD_TAG fetches the new certificate from Secrets Manager on each instance (docs/consuming.md §4): turn the secrets export on (DEPLOY_EXPORTS=secrets, or ;export=secrets on the certificates to reload)',
    );
  }
  if (eventBus === undefined && (snsTopic || reloadTag !== undefined)) {
    reader.report('DEPLOY_EVENT_BUS=none sends no events, so DEPLOY_EVENTS_SNS and DEPLOY_EVENTS_RELOAD_TAG would route nothing; set a bus or clear them');
  }
  if (eventBus?.startsWith('arn:') === true && (snsTopic || reloadTag !== undefined)) {
    reader.report("DEPLOY_EVENTS_SNS and DEPLOY_EVENTS_RELOAD_TAG make rules on a bus the stack names; with DEPLOY_EVENT_BUS as an ARN (possibly another account's), route there instead, or give the bus by name");
  }

  const retention = reader.oneOf('DEPLOY_LOG_RETENTION_DAYS', LOG_RETENTION_DAYS.map(String), '90');

  const config: DeployConfig = {
    stackName: reader.string('DEPLOY_STACK_NAME', { default: 'AcmeIssuer', pattern: STACK_NAME, expected: 'a CloudFormation stack name (letters, digits, hyphens; starts with a letter)' }),
    region: reader.optionalString('DEPLOY_REGION', { pattern: REGION, expected: "an AWS region such as eu-west-1, or empty to use your AWS profile's" }),
    bucketName: readOptionalBucketName(reader, 'DEPLOY_BUCKET_NAME'),
    directoryUrl,
    contactEmail: readContactEmail(reader, 'DEPLOY_ACME_CONTACT_EMAIL'),
    accountKeyType: readKeyType(reader, 'DEPLOY_ACME_ACCOUNT_KEY_TYPE', 'ec-p256'),
    certKeyType: readKeyType(reader, 'DEPLOY_CERT_KEY_TYPE', 'rsa-2048'),
    eabKid,
    eabHmacSecretArn,
    ...(zerosslEabKid !== undefined && zerosslEabHmacSecretArn !== undefined ? { zerosslEab: { kid: zerosslEabKid, hmacSecretArn: zerosslEabHmacSecretArn } } : {}),
    acmImport: reader.boolean('DEPLOY_ACM_IMPORT', true),
    certificates: reader.optionalString('DEPLOY_CERTIFICATES'),
    certificateSpecs,
    // IAM covers every region any certificate is imported into: the global list and each entry's regions=.
    acmExtraRegions: [...new Set([...globalExtraRegions, ...certificateSpecs.flatMap((spec) => spec.acmRegions ?? [])])],
    acmGlobalExtraRegions: globalExtraRegions,
    renewBeforeDays: readRenewBeforeDays(reader, 'DEPLOY_RENEW_BEFORE_DAYS'),
    acmeProfile: readProfile(reader, 'DEPLOY_ACME_PROFILE'),
    exports: {
      defaults: exportDefaults,
      used: usedExports,
      secretPrefix: readSecretPrefix(reader, 'DEPLOY_EXPORT_SECRET_PREFIX'),
      ssmPrefix: readSsmPrefix(reader, 'DEPLOY_EXPORT_SSM_PREFIX'),
    },
    alarms: {
      email: reader.optionalString('DEPLOY_ALARM_EMAIL', { pattern: EMAIL_ADDRESS, expected: 'one email address for alarm notifications' }),
      expiryDays: reader.integer('DEPLOY_ALARM_EXPIRY_DAYS', { default: DEFAULT_EXPIRY_ALARM_DAYS, min: 1, max: 90 }),
    },
    jwkRefreshSeconds: readJwkRefreshSeconds(reader, 'DEPLOY_JWK_REFRESH_SECONDS'),
    responderReservedConcurrency: readReservedConcurrency(reader, 'DEPLOY_RESPONDER_RESERVED_CONCURRENCY'),
    logRetentionDays: Number(retention) as DeployConfig['logRetentionDays'],
    // On by default: a function URL costs nothing while idle.
    api: reader.boolean('DEPLOY_API', true) ? { admins: readIamArnList(reader, 'DEPLOY_API_ADMINS') } : undefined,
    schedule: {
      expression: reader.string('DEPLOY_SCHEDULE', {
        default: 'cron(0 3,15 * * ? *)',
        pattern: SCHEDULE,
        expected: 'an EventBridge Scheduler expression such as cron(0 3,15 * * ? *) or rate(12 hours)',
      }),
      timezone: reader.string('DEPLOY_SCHEDULE_TIMEZONE', { default: 'UTC', pattern: TIMEZONE, expected: 'an IANA time zone such as UTC or Europe/Paris' }),
      windowMinutes: reader.integer('DEPLOY_SCHEDULE_WINDOW_MINUTES', { default: 60, min: 0, max: 1440 }),
      enabled: reader.boolean('DEPLOY_SCHEDULE_ENABLED', true),
    },
    network: { vpcId, availabilityZones: azs, albSubnetIds, taskSubnetIds, taskSubnets },
    existingListener: listenerArn !== undefined ? { listenerArn, rulePriority } : undefined,
    httpsCertificateArn,
    events: {
      bus: eventBus,
      snsTopic,
      reload: reloadTag === undefined ? undefined : { tagKey: reloadTag.slice(0, reloadTag.indexOf('=')), tagValue: reloadTag.slice(reloadTag.indexOf('=') + 1), command: reloadCommand },
    },
  };
  return reader.done(config);
}
