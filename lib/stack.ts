import { Aws, CfnOutput, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { DeployConfig } from './core/deploy-config.js';
import { CertificateApi } from './constructs/api.js';
import { CertificateEvents } from './constructs/certificate-events.js';
import { CertificateStore } from './constructs/certificate-store.js';
import { ChallengeResponder } from './constructs/challenge-responder.js';
import { ISSUER_CONTAINER_NAME, IssuerTask } from './constructs/issuer-task.js';
import { IssuerMonitoring } from './constructs/monitoring.js';
import { RenewalSchedule } from './constructs/renewal-schedule.js';
import { issuerTaskEnvironment } from './core/issuer-environment.js';
import { layout } from './core/layout.js';
import { scheduleIntervalSeconds } from './core/schedule-interval.js';

export interface AcmeIssuerStackProps extends StackProps {
  /** The validated configuration (lib/core/deploy-config.ts). */
  readonly config: DeployConfig;
}

/**
 * The deployable issuer: certificate store, challenge responder (ALB :80 → Lambda), issuer task
 * (ECS Fargate) and renewal schedule. Environment-agnostic, so it synthesizes without credentials.
 */
export class AcmeIssuerStack extends Stack {
  readonly store: CertificateStore;
  readonly responder: ChallengeResponder;
  readonly issuer: IssuerTask;
  readonly renewal: RenewalSchedule;
  readonly monitoring: IssuerMonitoring;
  /** The certificate API (DEPLOY_API, on by default). */
  readonly api: CertificateApi | undefined;
  /** The routes of the issuer's events (DEPLOY_EVENTS_*), when one is on. */
  readonly events: CertificateEvents | undefined;

  constructor(scope: Construct, id: string, props: AcmeIssuerStackProps) {
    super(scope, id, {
      description: 'ACME issuer: S3+KMS certificate store, ALB :80 challenge responder (Lambda), Fargate issuer, renewal schedule',
      ...props,
    });
    const { config } = props;
    const network = this.network(config);

    this.store = new CertificateStore(this, 'Store', { bucketName: config.bucketName });

    this.responder = new ChallengeResponder(this, 'Responder', {
      store: this.store,
      vpc: network.vpc,
      albSubnets: network.albSubnets,
      existingListener: config.existingListener ? { listenerArn: config.existingListener.listenerArn, priority: config.existingListener.rulePriority } : undefined,
      httpsCertificateArn: config.httpsCertificateArn,
      jwkRefreshSeconds: config.jwkRefreshSeconds,
      reservedConcurrency: config.responderReservedConcurrency,
      logRetention: config.logRetentionDays,
    });

    this.issuer = new IssuerTask(this, 'Issuer', {
      store: this.store,
      vpc: network.vpc,
      subnets: network.taskSubnets,
      assignPublicIp: config.network.taskSubnets === 'public',
      logRetention: config.logRetentionDays,
      environment: (resources) => issuerTaskEnvironment(config, { ...resources, albDnsName: this.responder.loadBalancer?.loadBalancerDnsName }),
      eabHmacSecret: config.eabHmacSecretArn ? this.eabSecret('EabHmacSecret', config.eabHmacSecretArn) : undefined,
      zerosslEabHmacSecret: config.zerosslEab ? this.eabSecret('ZeroSslEabHmacSecret', config.zerosslEab.hmacSecretArn) : undefined,
      acmExtraRegions: config.acmImport ? config.acmGlobalExtraRegions : [],
      acmCertificateRegions: config.acmImport ? config.acmExtraRegions : [],
      exports: config.exports.used.length > 0 ? { kinds: config.exports.used, secretPrefix: config.exports.secretPrefix, ssmPrefix: config.exports.ssmPrefix } : undefined,
      httpsListenerArn: config.acmImport ? this.responder.httpsListener?.listenerArn : undefined,
      eventBus: config.events.bus,
    });

    this.renewal = new RenewalSchedule(this, 'Renewal', {
      task: this.issuer,
      expression: config.schedule.expression,
      timezone: config.schedule.timezone,
      flexibleWindowMinutes: config.schedule.windowMinutes,
      enabled: config.schedule.enabled,
    });

    this.monitoring = new IssuerMonitoring(this, 'Monitoring', {
      issuer: this.issuer,
      responder: this.responder,
      scheduleInterval: Duration.seconds(scheduleIntervalSeconds(config.schedule.expression)),
      scheduleWindow: Duration.minutes(config.schedule.windowMinutes),
      scheduleEnabled: config.schedule.enabled,
      expiryDays: config.alarms.expiryDays,
      email: config.alarms.email,
    });

    this.api =
      config.api === undefined ? undefined : new CertificateApi(this, 'Api', { store: this.store, task: this.issuer, admins: config.api.admins, alarmTopic: this.monitoring.topic, logRetention: config.logRetentionDays });

    const { events } = config;
    this.events =
      events.bus !== undefined && (events.snsTopic || events.reload !== undefined)
        ? new CertificateEvents(this, 'Events', {
            bus: events.bus,
            snsTopic: events.snsTopic,
            reload: events.reload === undefined ? undefined : { ...events.reload, secretPrefix: config.exports.secretPrefix },
          })
        : undefined;

    this.outputs(config);
  }

  private network(config: DeployConfig): { vpc: ec2.IVpc; albSubnets?: ec2.SubnetSelection; taskSubnets: ec2.SubnetSelection } {
    const { network } = config;
    if (network.vpcId !== undefined) {
      const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: network.vpcId, availabilityZones: [...network.availabilityZones] });
      const subnets = (kind: string, ids: readonly string[]) =>
        ids.map((subnetId, index) => ec2.Subnet.fromSubnetAttributes(this, `${kind}Subnet${index}`, { subnetId, availabilityZone: network.availabilityZones[index] }));
      return {
        vpc,
        albSubnets: network.albSubnetIds.length > 0 ? { subnets: subnets('Alb', network.albSubnetIds) } : undefined,
        taskSubnets: { subnets: subnets('Task', network.taskSubnetIds) },
      };
    }
    const isPrivate = network.taskSubnets === 'private';
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // Public subnets only by default: the task gets a public IP, so no NAT gateway (~33 USD/month) is needed.
      natGateways: isPrivate ? 1 : 0,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        ...(isPrivate ? [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 }] : []),
      ],
      // Keeps a custom-resource Lambda out of the stack; nothing here uses the default security group.
      restrictDefaultSecurityGroup: false,
    });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason: 'The VPC carries only the challenge ALB and a short issuer task whose egress is HTTPS-only; flow logs would be the largest running cost. Turn them on in the VPC console when an audit needs them.',
    });
    return {
      vpc,
      albSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      taskSubnets: { subnetType: isPrivate ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
    };
  }

  private eabSecret(id: string, arn: string): secretsmanager.ISecret {
    // A complete ARN ends in the 6-character suffix Secrets Manager adds; anything else is partial.
    return /-[A-Za-z0-9]{6}$/.test(arn) ? secretsmanager.Secret.fromSecretCompleteArn(this, id, arn) : secretsmanager.Secret.fromSecretPartialArn(this, id, arn);
  }

  private outputs(config: DeployConfig): void {
    const { responder, issuer, store } = this;
    if (responder.loadBalancer !== undefined) {
      new CfnOutput(this, 'ChallengeDnsName', {
        description: 'Point each domain (CNAME, or Route 53 alias) at this name; the CA fetches http://DOMAIN/.well-known/acme-challenge/... from it',
        value: responder.loadBalancer.loadBalancerDnsName,
      });
    }
    if (responder.httpsListener !== undefined) {
      new CfnOutput(this, 'HttpsListenerArn', { description: 'Add your own rules to this :443 listener', value: responder.httpsListener.listenerArn });
    }
    new CfnOutput(this, 'CertificateBucket', { description: 'S3 certificate store (retained on stack deletion)', value: store.bucket.bucketName });
    // The account URL exists only after the first `register`, so the output names where the issuer publishes the pin.
    new CfnOutput(this, 'CaaRecordsCommand', {
      description: 'Prints the CAA records that pin this deployment\'s ACME account, per CA (0 issue "<CA>; accounturi=<account URL>; validationmethods=http-01"), written by `register`',
      value: Fn.join('', ['aws s3 cp s3://', store.bucket.bucketName, `/${layout.accountCaa} -`]),
    });
    new CfnOutput(this, 'CertificateKeyArn', { description: 'KMS key encrypting the store (retained on stack deletion)', value: store.key.keyArn });
    new CfnOutput(this, 'ClusterName', { value: issuer.cluster.clusterName });
    new CfnOutput(this, 'TaskDefinitionArn', { value: issuer.taskDefinition.taskDefinitionArn });
    new CfnOutput(this, 'ContainerName', { value: ISSUER_CONTAINER_NAME });
    new CfnOutput(this, 'TaskSubnetIds', { value: Fn.join(',', issuer.subnetIds) });
    new CfnOutput(this, 'TaskSecurityGroupId', { value: issuer.securityGroup.securityGroupId });
    new CfnOutput(this, 'TaskAssignPublicIp', { value: issuer.assignPublicIp ? 'ENABLED' : 'DISABLED' });
    new CfnOutput(this, 'RunTaskCommand', {
      description: 'Runs the issuer once by hand; replace ["renew"] with e.g. ["issue","--name","www","--domain","www.example.com"] (or use: just run-task -- issue ...)',
      value: issuer.runTaskCommand(['renew']),
    });
    new CfnOutput(this, 'IssuerLogGroup', { description: 'Issuer task logs (aws logs tail ... --follow)', value: issuer.logGroup.logGroupName });
    new CfnOutput(this, 'ResponderLogGroup', { value: responder.logGroup.logGroupName });
    new CfnOutput(this, 'RenewalScheduleName', { value: this.renewal.schedule.ref });
    if (issuer.exportKey !== undefined) {
      new CfnOutput(this, 'ExportKeyArn', {
        description: 'KMS key of the Secrets Manager / SSM copies: grant a consumer kms:Decrypt on it (via secretsmanager or ssm)',
        value: issuer.exportKey.keyArn,
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarms go here: subscribe email, chat or paging to it', value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { description: 'CloudWatch dashboard: days left per certificate, last runs, errors', value: this.monitoring.dashboard.dashboardName });
    if (this.events?.topic !== undefined) {
      new CfnOutput(this, 'EventsTopicArn', { description: 'Every certificate event (docs/consuming.md "Events"): subscribe a queue, a Lambda or an endpoint', value: this.events.topic.topicArn });
    }
    new CfnOutput(this, 'EventBus', { description: 'The EventBridge bus the issuer puts its certificate events on (none: off)', value: config.events.bus ?? 'none' });
    if (this.api !== undefined) {
      new CfnOutput(this, 'ApiUrl', { description: 'The certificate API (SigV4, service lambda): curl --aws-sigv4 "aws:amz:REGION:lambda" … (docs/api.md)', value: this.api.url.url });
    }
    new CfnOutput(this, 'Region', { value: Aws.REGION });
  }
}
