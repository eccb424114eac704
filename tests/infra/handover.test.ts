import { describe, expect, it } from 'vitest';
import { asArray, logicalId, only, resourcesOfType, statementsOfRole, synthesize } from './synth.js';
import type { Synthesized } from './synth.js';

// Issue 9: serving (HTTPS listener) and handing over (Secrets Manager, SSM). Each option adds
// exactly its own IAM; every variant synthesizes with cdk-nag attached (a finding throws).
const PLACEHOLDER = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

function taskEnv(synth: Synthesized): Record<string, unknown> {
  const container = only(only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'))[1].Properties.ContainerDefinitions as any[]);
  return Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
}
const taskStatements = (synth: Synthesized) => statementsOfRole(synth.json, logicalId(synth, synth.stack.issuer.taskDefinition.taskRole));
const byService = (statements: any[], service: string) => statements.filter((s) => asArray(s.Action as string | string[]).some((a) => a.startsWith(`${service}:`)));
const arn = (service: string, resource: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, resource]],
});
const via = (service: string) => ({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });

describe('HTTPS listener', () => {
  const synth = synthesize({ DEPLOY_HTTPS_CERTIFICATE_ARN: PLACEHOLDER });
  const listeners = () => resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::Listener').map(([id, l]) => [id, l.Properties] as const);

  it('synthesizes :443 with the placeholder as default certificate and a modern TLS policy', () => {
    const [, https] = only(listeners().filter(([, p]) => p.Port === 443));
    expect(https).toMatchObject({ Protocol: 'HTTPS', Certificates: [{ CertificateArn: PLACEHOLDER }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    const sg = synth.json.Resources[logicalId(synth, synth.stack.responder.loadBalancer!.connections.securityGroups[0])]!;
    expect(sg.Properties.SecurityGroupIngress.map((r: { FromPort: number }) => r.FromPort).sort()).toEqual([443, 80]);
  });

  it(':80 redirects everything to HTTPS except the challenge path, which still reaches the Lambda', () => {
    const [httpId, http] = only(listeners().filter(([, p]) => p.Port === 80));
    expect(http.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }]);
    const [, rule] = only(resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rule.Properties).toEqual({
      ListenerArn: { Ref: httpId },
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/.well-known/acme-challenge/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(synth, synth.stack.responder.targetGroup) } }],
    });
  });

  it('lets the issuer attach certificates to and detach them from that one listener (key-type change, delete), and tells it which', () => {
    const [httpsId] = only(listeners().filter(([, p]) => p.Port === 443));
    expect(taskEnv(synth)['HTTPS_LISTENER_ARN']).toEqual({ Ref: httpsId });
    // Describe has no resource type, so it shares the one "*" statement with acm:ListCertificates.
    expect(byService(taskStatements(synth), 'elasticloadbalancing')).toEqual([
      { Action: ['acm:ListCertificates', 'elasticloadbalancing:DescribeListenerCertificates'], Effect: 'Allow', Resource: '*' },
      { Action: ['elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:RemoveListenerCertificates'], Effect: 'Allow', Resource: { Ref: httpsId } },
    ]);
    expect(synth.json.Outputs!['HttpsListenerArn']!.Value).toEqual({ Ref: httpsId });
  });

  it('grants no listener permission without the option', () => {
    const plain = synthesize({});
    expect(byService(taskStatements(plain), 'elasticloadbalancing')).toEqual([]);
    expect(taskEnv(plain)['HTTPS_LISTENER_ARN']).toBeUndefined();
  });
});

describe('Secrets Manager and SSM exports', () => {
  it('secrets only (one entry asks for it): create/describe/put/delete on acme/* and the export key through Secrets Manager, nothing for SSM', () => {
    const synth = synthesize({ DEPLOY_CERTIFICATES: 'shop=shop.example.com;export=secrets api=api.example.com' });
    const keyArn = { 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.exportKey!), 'Arn'] };
    const statements = taskStatements(synth);
    expect(byService(statements, 'secretsmanager')).toEqual([
      {
        Action: ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue'],
        Effect: 'Allow',
        Resource: arn('secretsmanager', ':secret:acme/*'),
      },
    ]);
    expect(statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn))).toEqual([
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: keyArn, Condition: via('secretsmanager') },
    ]);
    expect(byService(statements, 'ssm')).toEqual([]);
    expect(taskEnv(synth)).toMatchObject({ EXPORTS: 'none', EXPORT_SECRET_PREFIX: 'acme/', EXPORT_KMS_KEY_ID: keyArn });
    expect(taskEnv(synth)['EXPORT_SSM_PREFIX']).toBeUndefined();
  });

  it('ssm for every certificate (DEPLOY_EXPORTS): PutParameter and DeleteParameter under the prefix and the export key through SSM only', () => {
    const synth = synthesize({ DEPLOY_EXPORTS: 'ssm', DEPLOY_EXPORT_SSM_PREFIX: '/certs/prod/' });
    const keyArn = { 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.exportKey!), 'Arn'] };
    const statements = taskStatements(synth);
    expect(byService(statements, 'ssm')).toEqual([{ Action: ['ssm:DeleteParameter', 'ssm:PutParameter'], Effect: 'Allow', Resource: arn('ssm', ':parameter/certs/prod/*') }]);
    expect(statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn))).toEqual([{ Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: keyArn, Condition: via('ssm') }]);
    expect(byService(statements, 'secretsmanager')).toEqual([]);
    expect(taskEnv(synth)).toMatchObject({ EXPORTS: 'ssm', EXPORT_SSM_PREFIX: '/certs/prod/' });
  });

  it('keeps the export key apart from the store key, with rotation, retained with the data', () => {
    const synth = synthesize({ DEPLOY_EXPORTS: 'secrets,ssm' });
    const key = synth.json.Resources[logicalId(synth, synth.stack.issuer.exportKey!)]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(logicalId(synth, synth.stack.issuer.exportKey!)).not.toBe(logicalId(synth, synth.stack.store.key));
    expect(synth.json.Outputs!['ExportKeyArn']!.Value).toEqual({ 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.exportKey!), 'Arn'] });
    // The store key is still only usable through S3.
    const storeKey = { 'Fn::GetAtt': [logicalId(synth, synth.stack.store.key), 'Arn'] };
    for (const statement of taskStatements(synth).filter((s) => JSON.stringify(s.Resource) === JSON.stringify(storeKey))) {
      expect(statement.Condition).toEqual(via('s3'));
    }
  });

  it('creates no key and grants nothing when no certificate exports', () => {
    const synth = synthesize({ DEPLOY_CERTIFICATES: 'shop=shop.example.com;export=none' });
    expect(synth.stack.issuer.exportKey).toBeUndefined();
    synth.template.resourceCountIs('AWS::KMS::Key', 1);
    expect(synth.json.Outputs!['ExportKeyArn']).toBeUndefined();
    const actions = taskStatements(synth).flatMap((s) => asArray(s.Action as string | string[]));
    expect(actions.filter((a) => /^(secretsmanager|ssm):/.test(a) || a === 'kms:Encrypt')).toEqual([]);
  });
});

describe('every option at once, through the CDK CLI (cdk-nag + cfn-lint)', () => {
  it('synthesizes with no unacknowledged finding and a template cfn-lint passes', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { REPO_ROOT } = await import('./synth.js');
    const outdir = mkdtempSync(path.join(tmpdir(), 'acme-cdk-all-'));
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!/^(AWS_|DEPLOY_|CDK_)/.test(name)) env[name] = value;
    Object.assign(env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
      DEPLOY_HTTPS_CERTIFICATE_ARN: PLACEHOLDER,
      DEPLOY_CERTIFICATES: 'shop=shop.example.com;export=secrets cdn=cdn.example.com;regions=us-east-1',
      DEPLOY_EXPORTS: 'ssm',
      DEPLOY_ACM_EXTRA_REGIONS: 'eu-central-1',
      DEPLOY_ALARM_EMAIL: 'ops@example.com',
      DEPLOY_RENEW_BEFORE_DAYS: '30',
      DEPLOY_ACME_PROFILE: 'tlsserver',
    });
    const synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(synth.stderr).not.toMatch(/ERROR|AwsSolutions-/);
    expect(synth.status, synth.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations?: unknown[] }) => plugin.violations ?? [])).toEqual([]);
    const lint = spawnSync('cfn-lint', ['--format', 'json', '--', path.join(outdir, 'AcmeIssuer.template.json')], { encoding: 'utf8' });
    const findings = JSON.parse(lint.stdout || '[]') as { Level: string }[];
    expect(findings.filter((finding) => finding.Level === 'Error')).toEqual([]);
  }, 150_000);
});
