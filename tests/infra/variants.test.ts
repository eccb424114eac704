import { describe, expect, it } from 'vitest';
import { logicalId, only, resourcesOfType, synthesize } from './synth.js';

// Each option synthesizes with cdk-nag attached (synthesize throws on an unacknowledged finding).
const LISTENER_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared-alb/0123456789abcdef/fedcba9876543210';
const CERT_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/eab-hmac-AbCdEf';

describe('existing ALB listener', () => {
  const synth = synthesize({ DEPLOY_ALB_LISTENER_ARN: LISTENER_ARN, DEPLOY_ALB_RULE_PRIORITY: '7' });

  it('adds only a challenge rule to that listener: no ALB, no listener of our own', () => {
    synth.template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    synth.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 0);
    const [, rule] = only(resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rule.Properties).toEqual({
      ListenerArn: LISTENER_ARN,
      Priority: 7,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/.well-known/acme-challenge/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(synth, synth.stack.responder.targetGroup) } }],
    });
    expect(synth.json.Outputs!['ChallengeDnsName']).toBeUndefined();
  });
});

describe('HTTPS listener on the created ALB', () => {
  const synth = synthesize({ DEPLOY_HTTPS_CERTIFICATE_ARN: CERT_ARN });

  it(':80 redirects to HTTPS by default but still forwards the challenge path', () => {
    const listeners = resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::Listener').map(([id, l]) => [id, l.Properties] as const);
    const [httpId, http] = only(listeners.filter(([, p]) => p.Port === 80));
    expect(http.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }]);
    const [, https] = only(listeners.filter(([, p]) => p.Port === 443));
    expect(https).toMatchObject({ Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERT_ARN }] });
    const [, rule] = only(resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rule.Properties.ListenerArn).toEqual({ Ref: httpId });
  });
});

describe('private subnets', () => {
  const synth = synthesize({ DEPLOY_TASK_SUBNETS: 'private' });

  it('adds one NAT gateway and runs the task without a public IP', () => {
    synth.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const [, schedule] = only(resourcesOfType(synth.json, 'AWS::Scheduler::Schedule'));
    expect(schedule.Properties.Target.EcsParameters.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(JSON.stringify(synth.json.Outputs!['RunTaskCommand'])).toContain('assignPublicIp=DISABLED');
  });
});

describe('existing VPC', () => {
  const synth = synthesize({
    DEPLOY_VPC_ID: 'vpc-0123456789abcdef0',
    DEPLOY_AVAILABILITY_ZONES: 'eu-west-1a,eu-west-1b',
    DEPLOY_ALB_SUBNET_IDS: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2',
    DEPLOY_TASK_SUBNET_IDS: 'subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2',
  });

  it('creates no network and uses the given subnets for the ALB and the task', () => {
    synth.template.resourceCountIs('AWS::EC2::VPC', 0);
    synth.template.resourceCountIs('AWS::EC2::Subnet', 0);
    synth.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    });
    synth.template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
    const [, schedule] = only(resourcesOfType(synth.json, 'AWS::Scheduler::Schedule'));
    expect(schedule.Properties.Target.EcsParameters.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2']);
  });
});

describe('External Account Binding', () => {
  const synth = synthesize({ DEPLOY_ACME_DIRECTORY: 'zerossl', DEPLOY_ACME_EAB_KID: 'kid-123', DEPLOY_ACME_EAB_HMAC_SECRET_ARN: SECRET_ARN });

  it('passes the key id as configuration and the HMAC key only as a Secrets Manager reference', () => {
    const container = only(only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'))[1].Properties.ContainerDefinitions as any[]);
    expect(container.Environment).toContainEqual({ Name: 'ACME_EAB_KID', Value: 'kid-123' });
    expect(container.Environment).toContainEqual({ Name: 'ACME_DIRECTORY', Value: 'https://acme.zerossl.com/v2/DV90' });
    expect(container.Secrets).toEqual([{ Name: 'ACME_EAB_HMAC_KEY', ValueFrom: SECRET_ARN }]);
    expect(JSON.stringify(container.Environment)).not.toContain('HMAC');
    // Only the execution role (which resolves secrets for ECS) may read it; the task role may not.
    const policies = resourcesOfType(synth.json, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p).includes('secretsmanager:GetSecretValue'));
    const [, policy] = only(policies);
    expect(policy.Properties.Roles).toEqual([{ Ref: logicalId(synth, synth.stack.issuer.taskDefinition.executionRole!) }]);
  });
});

describe('ZeroSSL as a failover CA, with its own External Account Binding', () => {
  const ZEROSSL_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/zerossl-eab-AbCdEf';
  const synth = synthesize({ DEPLOY_ACME_DIRECTORY: 'letsencrypt|zerossl', DEPLOY_ACME_EAB_KID_ZEROSSL: 'zs-kid', DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL: ZEROSSL_SECRET_ARN });

  it('hands the task the CA list in order, ZeroSSL key id as configuration and its HMAC key only as a Secrets Manager reference', () => {
    const container = only(only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'))[1].Properties.ContainerDefinitions as any[]);
    expect(container.Environment).toContainEqual({ Name: 'ACME_DIRECTORY', Value: 'https://acme-v02.api.letsencrypt.org/directory|https://acme.zerossl.com/v2/DV90' });
    expect(container.Environment).toContainEqual({ Name: 'ACME_EAB_KID_ZEROSSL', Value: 'zs-kid' });
    expect(container.Environment.map((e: { Name: string }) => e.Name)).not.toContain('ACME_EAB_KID');
    expect(container.Secrets).toEqual([{ Name: 'ACME_EAB_HMAC_KEY_ZEROSSL', ValueFrom: ZEROSSL_SECRET_ARN }]);
    expect(JSON.stringify(container.Environment)).not.toContain('HMAC');
    const policies = resourcesOfType(synth.json, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p).includes('secretsmanager:GetSecretValue'));
    const [, policy] = only(policies);
    expect(policy.Properties.Roles).toEqual([{ Ref: logicalId(synth, synth.stack.issuer.taskDefinition.executionRole!) }]);
  });
});

describe('schedule options', () => {
  const synth = synthesize({ DEPLOY_SCHEDULE: 'rate(6 hours)', DEPLOY_SCHEDULE_WINDOW_MINUTES: '0', DEPLOY_SCHEDULE_ENABLED: 'false' });

  it('honours the expression, a fixed start and the disabled state', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'DISABLED',
    });
  });
});

describe('responder reserved concurrency', () => {
  const reservation = (env: Record<string, string>) => {
    const synth = synthesize(env);
    return synth.json.Resources[logicalId(synth, synth.stack.responder.function)]!.Properties.ReservedConcurrentExecutions;
  };

  it('is DEPLOY_RESPONDER_RESERVED_CONCURRENCY, or none at all (an account below 120 concurrent executions cannot reserve any)', () => {
    expect(reservation({ DEPLOY_RESPONDER_RESERVED_CONCURRENCY: '50' })).toBe(50);
    expect(reservation({ DEPLOY_RESPONDER_RESERVED_CONCURRENCY: 'none' })).toBeUndefined();
  });
});
