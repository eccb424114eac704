import { describe, expect, it } from 'vitest';
import { asArray, logicalId, only, resourcesOfType, statementsOfRole, synthesize } from './synth.js';
import type { Synthesized } from './synth.js';

// Each variant synthesizes with cdk-nag attached: an unacknowledged finding throws.
const acmArn = (region: string | { Ref: string }) => ({
  'Fn::Join': [
    '',
    typeof region === 'string'
      ? ['arn:', { Ref: 'AWS::Partition' }, `:acm:${region}:`, { Ref: 'AWS::AccountId' }, ':certificate/*']
      : ['arn:', { Ref: 'AWS::Partition' }, ':acm:', region, ':', { Ref: 'AWS::AccountId' }, ':certificate/*'],
  ],
});

function taskEnv(synth: Synthesized): Record<string, unknown> {
  const container = only(only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'))[1].Properties.ContainerDefinitions as any[]);
  return Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
}

function taskStatements(synth: Synthesized): any[] {
  return statementsOfRole(synth.json, logicalId(synth, synth.stack.issuer.taskDefinition.taskRole));
}

function actionsOf(statements: any[]): string[] {
  return statements.flatMap((s) => asArray(s.Action as string | string[])).sort();
}

describe('lifecycle variables reach the task', () => {
  const synth = synthesize({
    DEPLOY_CERTIFICATES: 'shop=shop.example.com,www.shop.example.com api=api.example.com;key=ec-p256',
    DEPLOY_RENEW_BEFORE_DAYS: '20',
    DEPLOY_ACME_PROFILE: 'tlsserver',
    DEPLOY_ACM_EXTRA_REGIONS: 'us-east-1,ap-southeast-2',
  });

  it('passes CERTIFICATES, RENEW_BEFORE_DAYS, ACME_PROFILE and ACM_EXTRA_REGIONS unchanged', () => {
    expect(taskEnv(synth)).toMatchObject({
      CERTIFICATES: 'shop=shop.example.com,www.shop.example.com api=api.example.com;key=ec-p256',
      RENEW_BEFORE_DAYS: '20',
      ACME_PROFILE: 'tlsserver',
      ACM_EXTRA_REGIONS: 'us-east-1,ap-southeast-2',
    });
  });

  it('scopes ACM to one certificate pattern per region: the stack region and each extra region, nothing else', () => {
    const statements = taskStatements(synth);
    const acm = statements.filter((s) => asArray(s.Action).some((a: string) => a.startsWith('acm:') && a !== 'acm:ListCertificates'));
    // the read, the tagged-certificate and the first-import statement each cover exactly these regions
    expect(acm).toHaveLength(3);
    for (const statement of acm) expect(statement.Resource).toEqual([acmArn({ Ref: 'AWS::Region' }), acmArn('ap-southeast-2'), acmArn('us-east-1')]);
  });

  it('adds no export, listener or extra KMS permission when those options are off', () => {
    const actions = actionsOf(taskStatements(synth));
    expect(actions.filter((a) => /^(secretsmanager|ssm|elasticloadbalancing):/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(synth.stack.issuer.exportKey).toBeUndefined();
    for (const name of ['EXPORTS', 'EXPORT_KMS_KEY_ID', 'EXPORT_SECRET_PREFIX', 'EXPORT_SSM_PREFIX', 'HTTPS_LISTENER_ARN']) expect(taskEnv(synth)[name]).toBeUndefined();
  });
});

describe('per-certificate ACM regions', () => {
  const synth = synthesize({ DEPLOY_CERTIFICATES: 'edge=edge.example.com;regions=us-east-1 shop=shop.example.com', DEPLOY_ACM_EXTRA_REGIONS: 'eu-central-1' });

  it("grants ACM in an entry's regions= too, but passes only the global list as ACM_EXTRA_REGIONS", () => {
    const acm = taskStatements(synth).filter((s) => asArray(s.Action).some((a: string) => a.startsWith('acm:') && a !== 'acm:ListCertificates'));
    expect(acm).toHaveLength(3);
    for (const statement of acm) expect(statement.Resource).toEqual([acmArn({ Ref: 'AWS::Region' }), acmArn('eu-central-1'), acmArn('us-east-1')]);
    expect(taskEnv(synth)['ACM_EXTRA_REGIONS']).toBe('eu-central-1');
  });
});

describe('ACM import off', () => {
  const synth = synthesize({ DEPLOY_ACM_IMPORT: 'false', DEPLOY_ACM_EXTRA_REGIONS: 'us-east-1' });

  it('does not pass extra regions to a task that imports nothing', () => {
    expect(taskEnv(synth)['ACM_EXTRA_REGIONS']).toBeUndefined();
    expect(taskEnv(synth)['ACM_IMPORT']).toBe('false');
  });
});

describe('deploy configuration of the lifecycle variables', () => {
  it.each([
    [{ DEPLOY_CERTIFICATES: 'shop=' }, /DEPLOY_CERTIFICATES entry "shop" has no domains/],
    [{ DEPLOY_RENEW_BEFORE_DAYS: '400' }, /DEPLOY_RENEW_BEFORE_DAYS="400" is not valid/],
    [{ DEPLOY_ACM_EXTRA_REGIONS: 'us-east-1,nowhere' }, /DEPLOY_ACM_EXTRA_REGIONS="us-east-1,nowhere" is not valid/],
    [{ DEPLOY_ACME_PROFILE: 'bad profile' }, /DEPLOY_ACME_PROFILE="bad profile" is not valid/],
    [{ DEPLOY_EXPORTS: 'vault' }, /DEPLOY_EXPORTS="vault" is not valid; expected secrets, ssm/],
    [{ DEPLOY_CERTIFICATES: 'shop=shop.example.com;export=vault' }, /option "export=vault" is not valid/],
    [{ DEPLOY_EXPORT_SSM_PREFIX: 'acme' }, /DEPLOY_EXPORT_SSM_PREFIX="acme" is not valid/],
    [{ DEPLOY_ALARM_EMAIL: 'nobody' }, /DEPLOY_ALARM_EMAIL="nobody" is not valid/],
  ])('%j stops synth naming the variable', (env, message) => {
    expect(() => synthesize(env)).toThrow(message);
  });
});
