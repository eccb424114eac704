import { ArnFormat, Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CERTIFICATE_CHANGED_TYPES, DEFAULT_EVENT_BUS, certificateEventPattern } from '../core/events.js';
import { RELOAD_ACTIONS } from './perms.js';
import { acknowledgeWildcardResource } from './nag.js';

/** certbot's --deploy-hook for instances: fetch the new certificate, then reload the server. */
export interface ReloadOnInstances {
  /** EC2 tag selecting the instances (each needs the SSM agent and an instance profile that may read the secret). */
  readonly tagKey: string;
  readonly tagValue: string;
  /** Run after the files are written. @default 'systemctl reload nginx' */
  readonly command: string;
  /** Secrets Manager names are PREFIX + certificate name (the `secrets` export). */
  readonly secretPrefix: string;
  /** Where each certificate's fullchain.pem and privkey.pem go: DIR/NAME/. @default '/etc/ssl/acme' */
  readonly directory?: string;
}

export interface CertificateEventsProps {
  /**
   * The bus the issuer puts its events on (by name, in this stack's account and region).
   * @default 'default' (the account's default bus)
   */
  readonly bus?: string;
  /**
   * An SNS topic (encrypted with a key of its own) receiving every event.
   * @default false
   */
  readonly snsTopic?: boolean;
  /**
   * SSM Run Command on tagged instances after every Issued and Renewed event.
   * @default - none
   */
  readonly reload?: ReloadOnInstances;
}

/**
 * Where the issuer's events (lib/core/events.ts) go besides the bus: each route is a rule on the
 * bus matching the core's pattern, off unless asked for. Anything else (a Lambda, a queue, another
 * account's bus) is one more rule on the same pattern: docs/consuming.md "Events" shows it.
 */
export class CertificateEvents extends Construct {
  readonly bus: events.IEventBus;
  readonly topic: sns.Topic | undefined;
  readonly topicKey: kms.Key | undefined;
  readonly topicRule: events.Rule | undefined;
  readonly reloadRule: events.Rule | undefined;

  constructor(scope: Construct, id: string, props: CertificateEventsProps) {
    super(scope, id);
    const busName = props.bus ?? DEFAULT_EVENT_BUS;
    this.bus = events.EventBus.fromEventBusName(this, 'Bus', busName);
    // Rules on the default bus name none (what CloudFormation and the console expect there).
    const ruleBus = busName === DEFAULT_EVENT_BUS ? undefined : this.bus;

    if (props.snsTopic === true) {
      this.topicKey = new kms.Key(this, 'TopicKey', {
        description: 'Encrypts the ACME issuer certificate events topic (grant subscribers kms:Decrypt where they need it)',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.topic = new sns.Topic(this, 'Topic', { displayName: 'ACME issuer certificate events', masterKey: this.topicKey, enforceSSL: true });
      this.topicRule = new events.Rule(this, 'ToTopic', {
        description: 'Every ACME issuer certificate event to the events topic',
        eventBus: ruleBus,
        eventPattern: certificateEventPattern(),
        targets: [new targets.SnsTopic(this.topic)],
      });
    }

    if (props.reload !== undefined) {
      const { tagKey, tagValue } = props.reload;
      const role = new iam.Role(this, 'ReloadRole', {
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
        description: `Runs the certificate reload on instances tagged ${tagKey}=${tagValue}`,
      });
      this.reloadRule = new events.Rule(this, 'Reload', {
        description: `After a certificate is issued or renewed: fetch it on instances tagged ${tagKey}=${tagValue} and reload`,
        eventBus: ruleBus,
        eventPattern: certificateEventPattern(CERTIFICATE_CHANGED_TYPES),
        targets: [new RunShellScriptOnTagged(props.reload, role)],
      });
    }
  }
}

/** The commands Run Command runs; NAME comes from the event (a validated certificate name: [a-z0-9._-]). */
function reloadCommands(reload: ReloadOnInstances, name: string): string[] {
  const dir = `${reload.directory ?? '/etc/ssl/acme'}/${name}`;
  return [
    'set -eu',
    `mkdir -p '${dir}' && umask 077 && cd '${dir}'`,
    // docs/consuming.md §4: one read of the secret, both files from that one version.
    `aws secretsmanager get-secret-value --region ${Aws.REGION} --secret-id '${reload.secretPrefix}${name}' --query SecretString --output text > bundle.json.tmp`,
    'jq -r .fullchain bundle.json.tmp > fullchain.pem.tmp && jq -r .privateKey bundle.json.tmp > privkey.pem.tmp && rm bundle.json.tmp',
    'mv privkey.pem.tmp privkey.pem && mv fullchain.pem.tmp fullchain.pem',
    reload.command,
  ];
}

/** An EventBridge target running AWS-RunShellScript on the instances with one tag (no L2 target exists for it). */
class RunShellScriptOnTagged implements events.IRuleTarget {
  constructor(
    private readonly reload: ReloadOnInstances,
    private readonly role: iam.Role,
  ) {}

  bind(rule: events.IRule): events.RuleTargetConfig {
    const stack = Stack.of(rule);
    const { role } = this;
    const document = stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWS-RunShellScript' });
    const instances = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...RELOAD_ACTIONS], resources: [document] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...RELOAD_ACTIONS],
        resources: [instances],
        conditions: { StringEquals: { [`ssm:resourceTag/${this.reload.tagKey}`]: this.reload.tagValue } },
      }),
    );
    acknowledgeWildcardResource(
      role,
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*',
      `Run Command targets instances by tag, not by id: the statement only allows instances tagged ${this.reload.tagKey}=${this.reload.tagValue} (ssm:resourceTag condition), and only ssm:SendCommand.`,
    );
    return {
      arn: document,
      role,
      runCommandParameters: { runCommandTargets: [{ key: `tag:${this.reload.tagKey}`, values: [this.reload.tagValue] }] },
      input: events.RuleTargetInput.fromObject({ commands: reloadCommands(this.reload, events.EventField.fromPath('$.detail.name')) }),
    };
  }
}
