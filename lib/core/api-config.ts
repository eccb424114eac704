import { ConfigReader, type Env } from './config-reader.js';
import { readAwsConfig, readBucket, type AwsConfig } from './config.js';

/**
 * The certificate API's configuration: the variables the stack sets on the API function
 * (lib/constructs/api.ts) and the local endpoint sets from .env, named once here.
 */
export const API_ENV = {
  /** The issuer task's cluster (name or ARN). */
  cluster: 'ISSUER_CLUSTER',
  /** The issuer task definition (ARN or family). */
  taskDefinition: 'ISSUER_TASK_DEFINITION',
  /** The container whose command an override replaces. */
  container: 'ISSUER_CONTAINER',
  /** Comma-separated subnet IDs the task runs in. */
  subnets: 'ISSUER_SUBNETS',
  /** Comma-separated security group IDs of the task. */
  securityGroups: 'ISSUER_SECURITY_GROUPS',
  assignPublicIp: 'ISSUER_ASSIGN_PUBLIC_IP',
  /** Comma-separated IAM ARNs that may change or delete any certificate (DEPLOY_API_ADMINS). */
  admins: 'API_ADMINS',
} as const;

/** What starting the issuer task takes: the same for the API, the renewal schedule and `just run-task`. */
export interface IssuerTaskTarget {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly container: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
}

export interface ApiConfig {
  readonly aws: AwsConfig;
  readonly bucket: string;
  readonly kmsKeyId: string | undefined;
  readonly task: IssuerTaskTarget;
  readonly admins: readonly string[];
}

const IAM_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/-]+$/;
const IDS = /^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$/;

/** Comma-separated IAM ARNs (API_ADMINS, DEPLOY_API_ADMINS: one rule), each checked by name. */
export function readIamArnList(reader: ConfigReader, name: string): string[] {
  const values = reader.optionalString(name, { pattern: /^[^,\s]+(,[^,\s]+)*$/, expected: 'comma-separated IAM ARNs' })?.split(',') ?? [];
  for (const value of values) if (!IAM_ARN.test(value)) reader.report(`${name}: "${value}" is not an IAM ARN; expected e.g. arn:aws:iam::123456789012:role/platform`);
  return values;
}

export function parseApiConfig(env: Env): ApiConfig {
  const reader = new ConfigReader(env);
  const list = (name: string, pattern: RegExp, expected: string) => reader.optionalString(name, { pattern, expected })?.split(',') ?? [];
  // Each by its name in the one list (all documented in .env.example and docs/configuration.md).
  const { cluster, taskDefinition, container, subnets, securityGroups, assignPublicIp, admins: adminsVariable } = API_ENV;
  const admins = readIamArnList(reader, adminsVariable);
  const config: ApiConfig = {
    aws: readAwsConfig(reader),
    bucket: readBucket(reader),
    kmsKeyId: reader.optionalString('CERT_KMS_KEY_ID'),
    task: {
      cluster: reader.string(cluster, { expected: 'the issuer cluster (the stack output ClusterName)' }),
      taskDefinition: reader.string(taskDefinition, { expected: 'the issuer task definition ARN (the stack output TaskDefinitionArn)' }),
      container: reader.string(container, { default: 'issuer' }),
      subnets: list(subnets, IDS, 'comma-separated subnet IDs'),
      securityGroups: list(securityGroups, IDS, 'comma-separated security group IDs'),
      assignPublicIp: reader.boolean(assignPublicIp, true),
    },
    admins,
  };
  return reader.done(config);
}

/** The overrides that make the issuer task run `command` (Scheduler passes its Input as these). */
export function issuerOverrides(container: string, command: readonly string[]): { containerOverrides: { name: string; command: string[] }[] } {
  return { containerOverrides: [{ name: container, command: [...command] }] };
}

/** ecs:RunTask's input for one run of the issuer, as the renewal schedule's target starts it. */
export function issuerRunTaskInput(task: IssuerTaskTarget, command: readonly string[], startedBy: string) {
  return {
    cluster: task.cluster,
    taskDefinition: task.taskDefinition,
    launchType: 'FARGATE' as const,
    platformVersion: 'LATEST',
    count: 1,
    // RunTask's startedBy is at most 36 characters: the API puts the certificate's name (or its prefix) there.
    startedBy: startedBy.slice(0, 36),
    networkConfiguration: {
      awsvpcConfiguration: { subnets: [...task.subnets], securityGroups: [...task.securityGroups], assignPublicIp: task.assignPublicIp ? ('ENABLED' as const) : ('DISABLED' as const) },
    },
    overrides: issuerOverrides(task.container, command),
  };
}
