// The stack's side of the issuer's events: PutEvents granted on the configured bus only, the bus
// and the Expiring threshold handed to the task, and each optional route (an encrypted SNS topic,
// SSM Run Command reloading tagged instances) off by default and exactly scoped when on. Every
// synth runs cdk-nag's AwsSolutions pack (a finding throws).
import { describe, expect, it } from 'vitest';
import { CERTIFICATE_CHANGED_TYPES, EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../lib/core/events.js';
import { parseIssuerConfig } from '../../lib/core/config.js';
import { parseDeployConfig } from '../../lib/core/deploy-config.js';
import { asArray, logicalId, only, resourcesOfType, statementsOfRole, synthesize, type Synthesized } from './synth.js';

const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const busArn = (name: string) => join('arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:event-bus/${name}`);

function taskRoleStatements(synth: Synthesized): any[] {
  return statementsOfRole(synth.json, logicalId(synth, synth.stack.issuer.taskDefinition.taskRole));
}
function taskEnvironment(synth: Synthesized): Record<string, unknown> {
  const [, definition] = only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'));
  const container = definition.Properties.ContainerDefinitions[0];
  return Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
}
const putEvents = (synth: Synthesized) => taskRoleStatements(synth).filter((s) => asArray(s.Action).includes('events:PutEvents'));
const rulesOn = (synth: Synthesized, source: string) => resourcesOfType(synth.json, 'AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.EventPattern?.source) === JSON.stringify([source]));

describe('the bus the issuer puts events on', () => {
  it("by default: PutEvents on the default bus and nothing else of EventBridge; EVENT_BUS and the alarm's threshold in the task", () => {
    const synth = synthesize({});
    expect(putEvents(synth)).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: busArn('default') }]);
    expect(
      taskRoleStatements(synth)
        .flatMap((s) => asArray(s.Action))
        .filter((a: string) => a.startsWith('events:')),
    ).toEqual(['events:PutEvents']);
    expect(taskEnvironment(synth)).toMatchObject({ EVENT_BUS: 'default', EXPIRING_EVENT_DAYS: '14' });
    // No route unless asked: the only rule is the monitoring's own (ECS task state).
    expect(rulesOn(synth, EVENT_SOURCE)).toEqual([]);
    expect(synth.json.Outputs?.EventBus?.Value).toBe('default');
    expect(synth.json.Outputs?.EventsTopicArn).toBeUndefined();
  });

  it("a named bus, or a bus ARN (another account's), is the one resource granted", () => {
    expect(putEvents(synthesize({ DEPLOY_EVENT_BUS: 'certificates' }))).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: busArn('certificates') }]);
    const arn = 'arn:aws:events:eu-west-1:210987654321:event-bus/central';
    const synth = synthesize({ DEPLOY_EVENT_BUS: arn });
    expect(putEvents(synth)).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: arn }]);
    expect(taskEnvironment(synth).EVENT_BUS).toBe(arn);
  });

  it('none: no grant, and the task sends nothing', () => {
    const synth = synthesize({ DEPLOY_EVENT_BUS: 'none' });
    expect(putEvents(synth)).toEqual([]);
    expect(taskEnvironment(synth).EVENT_BUS).toBe('none');
    expect(parseIssuerConfig({ CERT_BUCKET: 'bucket', EVENT_BUS: 'none' }).events.bus).toBeUndefined();
  });

  it("the Expiring threshold is the expiry alarm's, from one variable", () => {
    const synth = synthesize({ DEPLOY_ALARM_EXPIRY_DAYS: '21' });
    expect(taskEnvironment(synth).EXPIRING_EVENT_DAYS).toBe('21');
    // the alarm reads each line's margin to the issuer's threshold (EXPIRING_EVENT_DAYS, or a fifth of the lifetime)
    const [, alarm] = only(resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'MinExpiryMargin'));
    expect(alarm.Properties).toMatchObject({ Threshold: 0, AlarmDescription: expect.stringMatching(/fewer than 21 days left/) });
    expect(parseIssuerConfig({ CERT_BUCKET: 'bucket', EXPIRING_EVENT_DAYS: '21' }).events.expiringDays).toBe(21);
  });

  it("alarms when an event could not be sent (EventPublishFailed from the issuer's log)", () => {
    const synth = synthesize({});
    const [, alarm] = only(resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'EventPublishFailed'));
    expect(alarm.Properties).toMatchObject({ Namespace: 'AcmeOnAws', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const [, filter] = only(resourcesOfType(synth.json, 'AWS::Logs::MetricFilter').filter(([, f]) => f.Properties.MetricTransformations[0].MetricName === 'EventPublishFailed'));
    expect(filter.Properties.FilterPattern).toBe('{ ($.event = "metric") && ($.EventPublishFailed = "*") }');
  });
});

describe('routing the events', () => {
  it('DEPLOY_EVENTS_SNS: every event to a topic encrypted with its own rotating key, which EventBridge may use', () => {
    const synth = synthesize({ DEPLOY_EVENTS_SNS: 'true' });
    const topic = synth.stack.events!.topic!;
    const [, rule] = only(rulesOn(synth, EVENT_SOURCE));
    expect(rule.Properties.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [...EVENT_DETAIL_TYPES] });
    expect(rule.Properties.EventBusName).toBeUndefined(); // the default bus
    expect(rule.Properties.Targets).toEqual([{ Arn: { Ref: logicalId(synth, topic) }, Id: 'Target0' }]);
    const [, cfnTopic] = only(resourcesOfType(synth.json, 'AWS::SNS::Topic').filter(([id]) => id === logicalId(synth, topic)));
    const keyId = logicalId(synth, synth.stack.events!.topicKey!);
    expect(cfnTopic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const key = synth.json.Resources[keyId]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    // What EventBridge needs to publish to an encrypted topic (added by the SnsTopic target).
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Resource: '*',
    });
    const [, topicPolicy] = only(resourcesOfType(synth.json, 'AWS::SNS::TopicPolicy').filter(([, p]) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: logicalId(synth, topic) }])));
    expect(topicPolicy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } }));
    expect(synth.json.Outputs?.EventsTopicArn?.Value).toEqual({ Ref: logicalId(synth, topic) });
  });

  it('DEPLOY_EVENTS_SNS on a named bus puts the rule on that bus', () => {
    const synth = synthesize({ DEPLOY_EVENTS_SNS: 'true', DEPLOY_EVENT_BUS: 'certificates' });
    const [, rule] = only(rulesOn(synth, EVENT_SOURCE));
    expect(rule.Properties.EventBusName).toBe('certificates');
  });

  it('DEPLOY_EVENTS_RELOAD_TAG: after Issued or Renewed, Run Command on the tagged instances fetches the secret, then reloads', () => {
    const synth = synthesize({ DEPLOY_EVENTS_RELOAD_TAG: 'Role=web', DEPLOY_EXPORTS: 'secrets' });
    const [, rule] = only(rulesOn(synth, EVENT_SOURCE));
    expect(rule.Properties.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [...CERTIFICATE_CHANGED_TYPES] });
    const target = only(rule.Properties.Targets as any[]);
    expect(target.Arn).toEqual(join('arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, '::document/AWS-RunShellScript'));
    expect(target.RunCommandParameters).toEqual({ RunCommandTargets: [{ Key: 'tag:Role', Values: ['web'] }] });
    expect(target.InputTransformer.InputPathsMap).toEqual({ 'detail-name': '$.detail.name' });
    const template = JSON.stringify(target.InputTransformer.InputTemplate);
    expect(template).toContain("--secret-id 'acme/<detail-name>'");
    expect(template).toContain('/etc/ssl/acme/<detail-name>');
    expect(template).toContain('systemctl reload nginx');
    expect(template).not.toMatch(/PRIVATE KEY/);
    // The target's role may send exactly this document, to instances with exactly this tag.
    const statements = statementsOfRole(synth.json, target.RoleArn['Fn::GetAtt'][0]);
    expect(statements).toEqual([
      { Action: 'ssm:SendCommand', Effect: 'Allow', Resource: target.Arn },
      {
        Action: 'ssm:SendCommand',
        Effect: 'Allow',
        Resource: join('arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':instance/*'),
        Condition: { StringEquals: { 'ssm:resourceTag/Role': 'web' } },
      },
    ]);
    const [, role] = only(resourcesOfType(synth.json, 'AWS::IAM::Role').filter(([id]) => id === target.RoleArn['Fn::GetAtt'][0]));
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }]);
  });

  it('DEPLOY_EVENTS_RELOAD_COMMAND replaces the reload, after the same fetch', () => {
    const synth = synthesize({ DEPLOY_EVENTS_RELOAD_TAG: 'Role=web', DEPLOY_EXPORTS: 'secrets', DEPLOY_EVENTS_RELOAD_COMMAND: 'systemctl restart haproxy' });
    const [, rule] = only(rulesOn(synth, EVENT_SOURCE));
    const template = JSON.stringify(rule.Properties.Targets[0].InputTransformer.InputTemplate);
    expect(template).toContain('systemctl restart haproxy');
    expect(template).not.toContain('nginx');
  });

  it.each([
    [{ DEPLOY_EVENTS_RELOAD_TAG: 'Role=web' }, /DEPLOY_EVENTS_RELOAD_TAG fetches the new certificate from Secrets Manager/],
    [{ DEPLOY_EVENTS_RELOAD_TAG: 'web', DEPLOY_EXPORTS: 'secrets' }, /DEPLOY_EVENTS_RELOAD_TAG="web" is not valid; expected an EC2 tag KEY=VALUE/],
    [{ DEPLOY_EVENT_BUS: 'none', DEPLOY_EVENTS_SNS: 'true' }, /DEPLOY_EVENT_BUS=none sends no events/],
    [{ DEPLOY_EVENT_BUS: 'arn:aws:events:eu-west-1:210987654321:event-bus/central', DEPLOY_EVENTS_SNS: 'true' }, /with DEPLOY_EVENT_BUS as an ARN/],
    [{ DEPLOY_EVENT_BUS: 'my bus' }, /DEPLOY_EVENT_BUS="my bus" is not valid; expected an EventBridge bus name or ARN/],
    [{ DEPLOY_EVENTS_SNS: 'sometimes' }, /DEPLOY_EVENTS_SNS="sometimes" is not valid; expected true or false/],
  ])('refuses %j at synth, naming the variable', (env, message) => {
    expect(() => parseDeployConfig(env)).toThrow(message);
  });
});
