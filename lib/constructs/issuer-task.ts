import { Aws, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CertificateStore } from './certificate-store.js';
import { ACM_CERTIFICATE_ACTIONS, ACM_LIST_ACTIONS } from './perms.js';
import { acknowledgeWildcardResource } from './nag.js';
import { REPO_ROOT } from './repo.js';

/** The container's name in the task definition: what `--overrides` and the schedule address. */
export const ISSUER_CONTAINER_NAME = 'issuer';

/**
 * Paths left out of the image's build context. Besides speed, this keeps `.env` (which may hold
 * real values) and `cdk.out` (which contains this very asset) out of the image and its hash.
 */
export const IMAGE_EXCLUDE = [
  '.git',
  '.env',
  '.local',
  'node_modules',
  'cdk.out',
  'coverage',
  'tests',
  'docs',
  'bench',
  '**/*.log',
] as const;

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
   * Issuer configuration passed as environment variables (ACME_DIRECTORY, CERT_KEY_TYPE, ...).
   * CERT_BUCKET and CERT_KMS_KEY_ID are set by the construct.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * Secrets Manager secret whose value is the EAB HMAC key, injected as ACME_EAB_HMAC_KEY by ECS
   * (never part of the template or the task definition).
   * @default - no EAB
   */
  readonly eabHmacSecret?: secretsmanager.ISecret;
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
}

/**
 * The issuer: an ECS cluster and a Fargate task definition running the issuer CLI, its log group,
 * an egress-only security group (HTTPS out: the CA, S3, ACM, ECR) and a task role that can do
 * exactly what the issuer does. Run it on a schedule (RenewalSchedule) or by hand (runTaskCommand).
 */
export class IssuerTask extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly subnetIds: string[];
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: IssuerTaskProps) {
    super(scope, id);
    const problems: string[] = [];
    for (const reserved of ['CERT_BUCKET', 'CERT_KMS_KEY_ID', 'ACME_EAB_HMAC_KEY', 'AWS_ENDPOINT_URL']) {
      if (props.environment?.[reserved] !== undefined) problems.push(`environment must not set ${reserved} (the construct owns it)`);
    }
    if (problems.length > 0) throw new Error(`IssuerTask: ${problems.join('; ')}`);
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
    this.grantAcmImport(taskRole);

    this.container = this.taskDefinition.addContainer(ISSUER_CONTAINER_NAME, {
      image:
        props.image ??
        ecs.ContainerImage.fromAsset(REPO_ROOT, { file: 'container/Dockerfile', exclude: [...IMAGE_EXCLUDE], platform: Platform.LINUX_AMD64 }),
      command: ['renew'],
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'issuer' }),
      environment: {
        ...props.environment,
        CERT_BUCKET: props.store.bucket.bucketName,
        CERT_KMS_KEY_ID: props.store.key.keyArn,
      },
      secrets: props.eabHmacSecret ? { ACME_EAB_HMAC_KEY: ecs.Secret.fromSecretsManager(props.eabHmacSecret) } : undefined,
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
      description: 'ACME issuer task: no inbound; HTTPS out to the CA, S3, ACM and ECR',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the ACME CA and AWS APIs');
    this.subnetIds = props.vpc.selectSubnets(props.subnets ?? { subnetType: ec2.SubnetType.PUBLIC }).subnetIds;
  }

  /**
   * Import, re-import (same ARN), tag at first import, describe, read and list ACM certificates
   * of this account and region. ListCertificates has no resource type, so it gets "*".
   */
  grantAcmImport(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...ACM_CERTIFICATE_ACTIONS],
      resourceArns: [Stack.of(this).formatArn({ service: 'acm', resource: 'certificate', resourceName: '*' })],
    });
    iam.Grant.addToPrincipal({ grantee, actions: [...ACM_LIST_ACTIONS], resourceArns: ['*'] });
    acknowledgeWildcardResource(
      grantee,
      'arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*',
      'A first import creates a certificate whose ARN does not exist yet; the pattern is limited to ACM certificates of this account and region, with no action wildcard.',
    );
    acknowledgeWildcardResource(
      grantee,
      '*',
      'acm:ListCertificates has no resource type in IAM and only accepts "*" (a resource wildcard on one read-only action, not an action wildcard).',
    );
    return grant;
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
    return Fn.join('', [
      'awsvpcConfiguration={subnets=[',
      Fn.join(',', this.subnetIds),
      '],securityGroups=[',
      this.securityGroup.securityGroupId,
      `],assignPublicIp=${this.assignPublicIp ? 'ENABLED' : 'DISABLED'}}`,
    ]);
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
