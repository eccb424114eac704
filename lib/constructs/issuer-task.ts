import { ArnFormat, Aws, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CertificateStore } from './certificate-store.js';
import { ACM_OWNER_TAG } from '../core/acm-tags.js';
import { DEFAULT_SECRET_PREFIX, DEFAULT_SSM_PREFIX, type ExportKind } from '../core/exports.js';
import { eventBusArn } from '../core/events.js';
import { ISSUER_SECRET_VARIABLES, type IssuerTaskResources } from '../core/issuer-environment.js';
import { issuerEgress, type EgressPurpose } from '../core/network.js';
import {
  ACM_FIRST_IMPORT_ACTIONS,
  ACM_LIST_ACTIONS,
  ACM_READ_ACTIONS,
  ACM_TAGGED_CERTIFICATE_ACTIONS,
  EVENTS_PUT_ACTIONS,
  LISTENER_ATTACH_ACTIONS,
  LISTENER_DESCRIBE_ACTIONS,
  SECRETS_EXPORT_ACTIONS,
  SECRETS_EXPORT_KMS_ACTIONS,
  SSM_EXPORT_ACTIONS,
  SSM_EXPORT_KMS_ACTIONS,
} from './perms.js';
import { acknowledgeWildcardResource } from './nag.js';
import { REPO_ROOT } from './repo.js';

/** The container's name in the task definition: what `--overrides` and the schedule address. */
export const ISSUER_CONTAINER_NAME = 'issuer';

/**
 * Paths left out of the image's build context. Besides speed, this keeps `.env` (which may hold
 * real values) and `cdk.out` (which contains this very asset) out of the image and its hash.
 */
export const IMAGE_EXCLUDE = ['.git', '.env', '.local', 'node_modules', 'cdk.out', 'coverage', 'tests', 'docs', 'bench', '**/*.log'] as const;

export interface IssuerTaskProps {
  readonly store: CertificateStore;
  readonly vpc: ec2.IVpc;
  /**
   * Where the task runs.
   * @default - the VPC's public subnets
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Give the task a public IP (needed in public subnets, where there is no NAT).
   * @default true
   */
  readonly assignPublicIp?: boolean;
  /**
   * The task's whole environment, given the resources this construct makes or is handed (the
   * stack passes lib/core/issuer-environment.ts's issuerTaskEnvironment, the one place every
   * variable is set). Its egress rules follow from it (lib/core/network.ts).
   * @default - CERT_BUCKET, CERT_KMS_KEY_ID and AWS_REGION only
   */
  readonly environment?: (resources: IssuerTaskResources) => Record<string, string>;
  /**
   * Secrets Manager secret whose value is the EAB HMAC key, injected as ACME_EAB_HMAC_KEY by ECS
   * (never part of the template or the task definition).
   * @default - no EAB
   */
  readonly eabHmacSecret?: secretsmanager.ISecret;
  /**
   * Secrets Manager secret holding ZeroSSL's EAB HMAC key (ZeroSSL as a failover CA), injected as
   * ACME_EAB_HMAC_KEY_ZEROSSL the same way.
   * @default - no ZeroSSL EAB
   */
  readonly zerosslEabHmacSecret?: secretsmanager.ISecret;
  /**
   * The image.
   * @default - built from container/Dockerfile at the repository root at deploy time (linux/amd64)
   */
  readonly image?: ecs.ContainerImage;
  /**
   * CPU units (256 = 0.25 vCPU).
   * @default 256
   */
  readonly cpu?: number;
  /**
   * Memory in MiB, a valid Fargate combination with `cpu`.
   * @default 512
   */
  readonly memoryLimitMiB?: number;
  /**
   * Retention of the task's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * ACM regions besides the stack's that every certificate is imported into (ACM_EXTRA_REGIONS
   * in the environment); the ACM grant names one certificate ARN pattern per region.
   * @default []
   */
  readonly acmExtraRegions?: readonly string[];
  /**
   * Regions only some certificates are imported into (their `regions=` option in CERTIFICATES):
   * granted like the others, not put into ACM_EXTRA_REGIONS.
   * @default []
   */
  readonly acmCertificateRegions?: readonly string[];
  /**
   * Hand-over copies some certificate uses. Each kind adds exactly its IAM; a KMS key of its own
   * encrypts the copies (consumers get decrypt on it, never on the store key).
   * @default - none: no Secrets Manager, SSM or extra KMS permission at all
   */
  readonly exports?: IssuerExports;
  /**
   * HTTPS listener the issuer attaches each certificate to (AddListenerCertificates, SNI).
   * @default - none: no Elastic Load Balancing permission
   */
  readonly httpsListenerArn?: string;
  /**
   * The EventBridge bus (name or ARN) the issuer puts its events on (EVENT_BUS): PutEvents is
   * granted on that bus only.
   * @default - no events permission (EVENT_BUS=none)
   */
  readonly eventBus?: string;
}

export interface IssuerExports {
  /** Every kind some certificate uses: what IAM is granted for. */
  readonly kinds: readonly ExportKind[];
  /** @default 'acme/' */
  readonly secretPrefix?: string;
  /** @default '/acme/' */
  readonly ssmPrefix?: string;
}

/** Security group rule descriptions, by what needs the port. */
const EGRESS_DESCRIPTIONS: Record<EgressPurpose, string> = {
  ca: 'the ACME CA',
  'aws-api': 'the AWS APIs (S3, ACM, KMS, ECR, Logs)',
  preflight: "the pre-flight's probe of each name's challenge URL",
};

/**
 * The issuer: an ECS cluster and a Fargate task definition running the issuer CLI, its log group,
 * an egress-only security group (exactly the ports the issuer's environment needs: the CA, the
 * AWS APIs, the pre-flight) and a task role that can do exactly what the issuer does. Run it on a
 * schedule (RenewalSchedule) or by hand (runTaskCommand).
 */
export class IssuerTask extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly subnetIds: string[];
  readonly assignPublicIp: boolean;
  /** Encrypts the Secrets Manager / SSM copies; only when an export is on. */
  readonly exportKey: kms.Key | undefined;

  constructor(scope: Construct, id: string, props: IssuerTaskProps) {
    super(scope, id);
    this.assignPublicIp = props.assignPublicIp ?? true;

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: props.vpc });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-ECS4',
      reason: 'One short task twice a day: its logs and exit code say what happened; Container Insights metrics would cost more than the task itself.',
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'ACME issuer task: its S3 prefixes, the store key through S3, ACM import',
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryLimitMiB ?? 512,
      taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    props.store.grantIssuer(taskRole);
    const extraRegions = [...new Set(props.acmExtraRegions ?? [])];
    this.grantAcmImport(taskRole, [...new Set([...extraRegions, ...(props.acmCertificateRegions ?? [])])]);
    const exportKinds = new Set(props.exports?.kinds ?? []);
    this.exportKey =
      exportKinds.size > 0
        ? new kms.Key(this, 'ExportKey', {
            description: 'Encrypts the certificate copies in Secrets Manager / SSM Parameter Store (grant consumers kms:Decrypt via those services)',
            enableKeyRotation: true,
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : undefined;
    if (this.exportKey !== undefined) {
      if (exportKinds.has('secrets')) this.grantSecretsExport(taskRole, props.exports?.secretPrefix ?? DEFAULT_SECRET_PREFIX, this.exportKey);
      if (exportKinds.has('ssm')) this.grantSsmExport(taskRole, props.exports?.ssmPrefix ?? DEFAULT_SSM_PREFIX, this.exportKey);
    }
    if (props.httpsListenerArn !== undefined) this.grantListenerAttach(taskRole, props.httpsListenerArn);
    if (props.eventBus !== undefined) this.grantPutEvents(taskRole, props.eventBus);

    const resources: IssuerTaskResources = {
      region: Stack.of(this).region,
      bucketName: props.store.bucket.bucketName,
      storeKeyArn: props.store.key.keyArn,
      exportKeyArn: this.exportKey?.keyArn,
      httpsListenerArn: props.httpsListenerArn,
    };
    const environment = props.environment?.(resources) ?? { AWS_REGION: resources.region, CERT_BUCKET: resources.bucketName, CERT_KMS_KEY_ID: resources.storeKeyArn };
    for (const name of ISSUER_SECRET_VARIABLES) {
      if (name in environment) throw new Error(`IssuerTask: environment must not set ${name} (it comes from a Secrets Manager secret, never the template)`);
    }
    const secrets: Record<string, ecs.Secret> = {
      ...(props.eabHmacSecret ? { ACME_EAB_HMAC_KEY: ecs.Secret.fromSecretsManager(props.eabHmacSecret) } : {}),
      ...(props.zerosslEabHmacSecret ? { ACME_EAB_HMAC_KEY_ZEROSSL: ecs.Secret.fromSecretsManager(props.zerosslEabHmacSecret) } : {}),
    } satisfies Partial<Record<(typeof ISSUER_SECRET_VARIABLES)[number], ecs.Secret>>;

    this.container = this.taskDefinition.addContainer(ISSUER_CONTAINER_NAME, {
      image: props.image ?? ecs.ContainerImage.fromAsset(REPO_ROOT, { file: 'container/Dockerfile', exclude: [...IMAGE_EXCLUDE], platform: Platform.LINUX_AMD64 }),
      command: ['renew'],
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'issuer' }),
      environment,
      secrets: Object.keys(secrets).length > 0 ? secrets : undefined,
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds non-secret configuration (bucket, key ARN, CA URL, key types); the one secret, the EAB HMAC key, comes from Secrets Manager.',
    });

    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken (added by ECS for the image pull) has no resource type and only accepts "*"; the pull actions themselves are scoped to the image repository.',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'ACME issuer task: no inbound; out to the CA, the AWS APIs and, for the pre-flight, each name on HTTP',
      allowAllOutbound: false,
    });
    for (const rule of issuerEgress(environment)) {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(rule.port), `To ${rule.purposes.map((purpose) => EGRESS_DESCRIPTIONS[purpose]).join(' and ')}`);
    }
    this.subnetIds = props.vpc.selectSubnets(props.subnets ?? { subnetType: ec2.SubnetType.PUBLIC }).subnetIds;
  }

  /**
   * Import, re-import (same ARN), tag at first import, describe (InUseBy), read, delete and list
   * ACM certificates of this account, in the stack's region and each of `extraRegions` (one ARN
   * pattern per region, nothing in other regions). Re-import and delete only where the certificate
   * carries ACM_OWNER_TAG, a first import only with it. ListCertificates has no resource type: "*".
   */
  grantAcmImport(grantee: iam.IGrantable, extraRegions: readonly string[] = []): iam.Grant {
    const stack = Stack.of(this);
    const resourceArns = [
      stack.formatArn({ service: 'acm', resource: 'certificate', resourceName: '*' }),
      ...extraRegions.map((region) => stack.formatArn({ service: 'acm', region, resource: 'certificate', resourceName: '*' })),
    ];
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [...ACM_READ_ACTIONS], resourceArns });
    // Another team's certificate in the same account (imported by hand, or ACM-issued) cannot be
    // overwritten or deleted by the issuer: it lacks the tag every import of ours carries.
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...ACM_TAGGED_CERTIFICATE_ACTIONS],
      resourceArns,
      conditions: { Null: { [`aws:ResourceTag/${ACM_OWNER_TAG}`]: 'false' } },
    });
    // A new certificate has no tags yet: the request must carry ours, and only ours. ACM refuses
    // tags on a re-import, so this statement cannot reach an existing certificate through import.
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...ACM_FIRST_IMPORT_ACTIONS],
      resourceArns,
      conditions: {
        Null: { [`aws:RequestTag/${ACM_OWNER_TAG}`]: 'false' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [ACM_OWNER_TAG] },
      },
    });
    iam.Grant.addToPrincipal({ grantee, actions: [...ACM_LIST_ACTIONS], resourceArns: ['*'] });
    for (const region of ['<AWS::Region>', ...extraRegions]) {
      acknowledgeWildcardResource(
        grantee,
        `arn:<AWS::Partition>:acm:${region}:<AWS::AccountId>:certificate/*`,
        'A first import creates a certificate whose ARN does not exist yet; the pattern is limited to ACM certificates of this account in a region the issuer imports into, with no action wildcard.',
      );
    }
    acknowledgeWildcardResource(
      grantee,
      '*',
      'acm:ListCertificates (and, with the HTTPS listener on, elasticloadbalancing:DescribeListenerCertificates) has no resource type in IAM and only accepts "*": read-only actions, no action wildcard.',
    );
    return grant;
  }

  /** Secrets named PREFIX* in this region: create once, new versions in place, scheduled deletion, encrypted with `key` through Secrets Manager only. */
  grantSecretsExport(grantee: iam.IGrantable, prefix: string, key: kms.IKey): iam.Grant {
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...SECRETS_EXPORT_ACTIONS],
      resourceArns: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${prefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...SECRETS_EXPORT_KMS_ACTIONS],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
    });
    acknowledgeWildcardResource(
      grantee,
      `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*`,
      `One secret per certificate, named ${prefix}NAME; Secrets Manager appends a random suffix to every ARN, so the pattern ends in "*".`,
    );
    return grant;
  }

  /** SecureString parameters under PREFIX in this region (written and deleted), encrypted with `key` through SSM only. */
  grantSsmExport(grantee: iam.IGrantable, prefix: string, key: kms.IKey): iam.Grant {
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...SSM_EXPORT_ACTIONS],
      resourceArns: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${prefix.replace(/^\//, '')}*` })],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...SSM_EXPORT_KMS_ACTIONS],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` } },
    });
    acknowledgeWildcardResource(
      grantee,
      `arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${prefix}*`,
      `One parameter per certificate, named ${prefix}NAME (names unknown at deploy time); the pattern stops at the prefix.`,
    );
    return grant;
  }

  /** Attach certificates to and detach them from this one listener; Describe (to attach each once) has no resource type. */
  grantListenerAttach(grantee: iam.IGrantable, listenerArn: string): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [...LISTENER_ATTACH_ACTIONS], resourceArns: [listenerArn] });
    iam.Grant.addToPrincipal({ grantee, actions: [...LISTENER_DESCRIBE_ACTIONS], resourceArns: ['*'] });
    return grant;
  }

  /** PutEvents on one bus (a name is in this stack's region and account); nothing else of EventBridge. */
  grantPutEvents(grantee: iam.IGrantable, bus: string): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...EVENTS_PUT_ACTIONS],
      resourceArns: [eventBusArn(bus, { partition: stack.partition, region: stack.region, account: stack.account })],
    });
  }

  /** Let a principal (a schedule's role) start this task: RunTask on this cluster and PassRole for its two roles. */
  grantRun(grantee: iam.IGrantable): iam.Grant {
    const run = iam.Grant.addToPrincipal({
      grantee,
      actions: ['ecs:RunTask'],
      resourceArns: [this.taskDefinition.taskDefinitionArn],
      conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.taskDefinition.taskRole.roleArn, this.taskDefinition.obtainExecutionRole().roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
    return run;
  }

  /** RunTask's `networkConfiguration` as the AWS CLI's shorthand. */
  networkConfigurationShorthand(): string {
    return Fn.join('', ['awsvpcConfiguration={subnets=[', Fn.join(',', this.subnetIds), '],securityGroups=[', this.securityGroup.securityGroupId, `],assignPublicIp=${this.assignPublicIp ? 'ENABLED' : 'DISABLED'}}`]);
  }

  /** The exact `aws ecs run-task` command line that runs the issuer once with `args`. */
  runTaskCommand(args: readonly string[]): string {
    const overrides = JSON.stringify({ containerOverrides: [{ name: ISSUER_CONTAINER_NAME, command: args }] });
    return Fn.join('', [
      'aws ecs run-task --region ',
      Aws.REGION,
      ' --cluster ',
      this.cluster.clusterName,
      ' --task-definition ',
      this.taskDefinition.taskDefinitionArn,
      ' --launch-type FARGATE --network-configuration "',
      this.networkConfigurationShorthand(),
      `" --overrides '${overrides}'`,
    ]);
  }
}
