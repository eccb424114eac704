import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESPONDER_RESERVED_CONCURRENCY } from '../../lib/core/deploy-config.js';
import { layout } from '../../lib/core/layout.js';
import { ACM_OWNER_TAG } from '../../lib/core/acm-tags.js';
import { ISSUER_CREATE_ONLY_PREFIXES, ISSUER_DELETE_PREFIXES, ISSUER_PREFIXES } from '../../lib/constructs/certificate-store.js';
import { asArray, logicalId, only, resourcesOfType, statementsOfRole, synthesize } from './synth.js';
import type { Synthesized } from './synth.js';

// The default configuration: no DEPLOY_* variable set at all.
let synth: Synthesized;
let bucketId: string;
let keyId: string;
const bucketArn = () => ({ 'Fn::GetAtt': [bucketId, 'Arn'] });
const objectArn = (key: string) => ({ 'Fn::Join': ['', [bucketArn(), `/${key}`]] });

beforeAll(() => {
  synth = synthesize({});
  bucketId = logicalId(synth, synth.stack.store.bucket);
  keyId = logicalId(synth, synth.stack.store.key);
});

describe('certificate store', () => {
  it('is one KMS-encrypted, versioned, private bucket that outlives the stack', () => {
    const bucket = synth.json.Resources[bucketId]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: false, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    ]);
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]);
  });

  it('uses a customer-managed key with rotation, retained with the bucket', () => {
    const key = synth.json.Resources[keyId]!;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('denies every request that does not use TLS', () => {
    const [, policy] = only(resourcesOfType(synth.json, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === bucketId));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: [bucketArn(), { 'Fn::Join': ['', [bucketArn(), '/*']] }],
    });
  });
});

describe('challenge responder', () => {
  it('is an arm64 Node 24 function configured with the bucket and nothing else', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: { CERT_BUCKET: { Ref: bucketId }, JWK_REFRESH_SECONDS: '300' } },
    });
    const fn = synth.json.Resources[logicalId(synth, synth.stack.responder.function)]!;
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(['CERT_BUCKET', 'JWK_REFRESH_SECONDS']);
    expect(fn.Properties.VpcConfig).toBeUndefined();
  });

  it("has a reserved concurrency, so a flood of challenge paths is throttled at it instead of taking the account's concurrency", () => {
    const fn = synth.json.Resources[logicalId(synth, synth.stack.responder.function)]!;
    expect(DEFAULT_RESPONDER_RESERVED_CONCURRENCY).toBe(20);
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(DEFAULT_RESPONDER_RESERVED_CONCURRENCY);
  });

  it('role reaches account/jwk.json and its own logs, nothing else', () => {
    const roleId = logicalId(synth, synth.stack.responder.role);
    expect(synth.json.Resources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(synth.json, roleId);
    expect(statements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(synth, synth.stack.responder.logGroup), 'Arn'] },
      },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: objectArn(layout.accountJwk) },
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: {
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          ArnEquals: { 'kms:EncryptionContext:aws:s3:arn': objectArn(layout.accountJwk) },
        },
      },
    ]);
    // Nothing else in the stack (no bucket or key policy) names this role: only its policy and the function.
    const mentioning = Object.entries(synth.json.Resources)
      .filter(([id, resource]) => id !== roleId && JSON.stringify(resource).includes(`"${roleId}"`))
      .map(([, resource]) => resource.Type)
      .sort();
    expect(mentioning).toEqual(['AWS::IAM::Policy', 'AWS::Lambda::Function']);
  });

  it('role matches no private key object: not account/key.pem, not the next key of a rollover (account/next-key.pem)', () => {
    const statements = statementsOfRole(synth.json, logicalId(synth, synth.stack.responder.role));
    // every S3 object pattern the role holds, as the text after the bucket ARN (`*` a wildcard)
    const patterns = statements
      .filter((s) => asArray(s.Action).some((action) => action.startsWith('s3:')))
      .flatMap((s) => asArray(s.Resource as unknown))
      .map((resource) => {
        const parts = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
        return String(parts[parts.length - 1]).replace(/^\//, '');
      });
    expect(patterns).toEqual([layout.accountJwk]);
    const matches = (pattern: string, key: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(key);
    for (const key of [layout.accountKey, layout.accountNextKey, layout.livePem('www', 'privkey.pem'), layout.liveBundle('www')]) {
      expect(
        patterns.filter((pattern) => matches(pattern, key)),
        key,
      ).toEqual([]);
    }
  });

  it('sits behind a Lambda target group with multi-value headers off', () => {
    synth.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      TargetGroupAttributes: [{ Key: 'lambda.multi_value_headers.enabled', Value: 'false' }],
    });
    synth.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'elasticloadbalancing.amazonaws.com',
    });
  });

  it('is reached through an internet-facing ALB whose :80 forwards only the challenge path and 404s the rest', () => {
    synth.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing', Type: 'application' });
    const [listenerId, listener] = only(resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::Listener'));
    expect(listener.Properties).toMatchObject({
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain' } }],
    });
    const [, rule] = only(resourcesOfType(synth.json, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rule.Properties).toEqual({
      ListenerArn: { Ref: listenerId },
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/.well-known/acme-challenge/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(synth, synth.stack.responder.targetGroup) } }],
    });
  });

  it('ALB security group admits :80 from anywhere and nothing else', () => {
    const sg = synth.json.Resources[logicalId(synth, synth.stack.responder.loadBalancer!.connections.securityGroups[0])]!;
    expect(sg.Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp' })]);
  });
});

describe('issuer task', () => {
  it('is a Fargate task running the issuer image as `renew`, logging to a retained-for-90-days group', () => {
    const [, taskDef] = only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'));
    expect(taskDef.Properties).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
    const container = only(taskDef.Properties.ContainerDefinitions as any[]);
    expect(container.Name).toBe('issuer');
    expect(container.Command).toEqual(['renew']);
    // The image is the asset built from container/Dockerfile and pushed to the bootstrap repository.
    expect(JSON.stringify(container.Image)).toContain('cdk-hnb659fds-container-assets-');
    const logGroupId = logicalId(synth, synth.stack.issuer.logGroup);
    expect(container.LogConfiguration).toMatchObject({ LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: logGroupId } } });
    expect(synth.json.Resources[logGroupId]!.Properties.RetentionInDays).toBe(90);
  });

  it('gets the issuer configuration, the bucket and the key, and no local-stack endpoint', () => {
    const container = only(only(resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition'))[1].Properties.ContainerDefinitions as any[]);
    const env = Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(env).toEqual({
      AWS_REGION: { Ref: 'AWS::Region' },
      ACME_DIRECTORY: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      ACME_ACCOUNT_KEY_TYPE: 'ec-p256',
      CERT_KEY_TYPE: 'rsa-2048',
      ACME_POLL_MIN_MS: '2000',
      ACM_IMPORT: 'true',
      EVENT_BUS: 'default',
      EXPIRING_EVENT_DAYS: '14',
      // the responders' own value (the function's variable above): `rollover` waits as long as they cache
      JWK_REFRESH_SECONDS: '300',
      CERT_BUCKET: { Ref: bucketId },
      CERT_KMS_KEY_ID: { 'Fn::GetAtt': [keyId, 'Arn'] },
      // The pre-flight compares each name's addresses with the ALB's.
      ALB_DNS_NAME: { 'Fn::GetAtt': [logicalId(synth, synth.stack.responder.loadBalancer), 'DNSName'] },
    });
    expect(container.Secrets).toBeUndefined();
  });

  it('task role: exact actions (no wildcard action), S3 scoped to the layout prefixes, never deletes archive/ or account/', () => {
    const statements = statementsOfRole(synth.json, logicalId(synth, synth.stack.issuer.taskDefinition.taskRole));
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asArray(statement.Action as string | string[])) expect(action).not.toContain('*');
    }
    const byAction = (action: string) => statements.filter((s) => asArray(s.Action).includes(action));
    expect(only(byAction('s3:GetObject')).Resource).toEqual(ISSUER_PREFIXES.map((prefix) => objectArn(`${prefix}*`)).sort(byJson));
    // archive/ is create-only in IAM as well as in the code: a PutObject there needs If-None-Match: *.
    expect(ISSUER_CREATE_ONLY_PREFIXES).toEqual([layout.archivePrefix]);
    expect(byAction('s3:PutObject').sort(byJson)).toEqual(
      [
        {
          Action: 's3:PutObject',
          Effect: 'Allow',
          Resource: ISSUER_PREFIXES.filter((p) => p !== layout.archivePrefix)
            .map((prefix) => objectArn(`${prefix}*`))
            .sort(byJson),
        },
        { Action: 's3:PutObject', Condition: { StringEquals: { 's3:if-none-match': '*' } }, Effect: 'Allow', Resource: objectArn(`${layout.archivePrefix}*`) },
      ].sort(byJson),
    );
    // `delete NAME` removes live/NAME/*, renewal/NAME.json (and rewrites renewal/_index.json); `undeclare NAME` declared/NAME.json; leases go from locks/.
    expect(only(byAction('s3:DeleteObject')).Resource).toEqual(ISSUER_DELETE_PREFIXES.map((prefix) => objectArn(`${prefix}*`)).sort(byJson));
    expect(ISSUER_DELETE_PREFIXES).toEqual([layout.livePrefix, layout.renewalPrefix, layout.declaredPrefix, layout.locksPrefix]);
    // Listing without an s3:prefix condition: with one, AWS answers AccessDenied instead of
    // NoSuchKey for a missing key, and the first register would stop (certificate-store.ts).
    const list = only(byAction('s3:ListBucket'));
    expect(list.Resource).toEqual(bucketArn());
    expect(list.Condition).toBeUndefined();
    expect(only(byAction('kms:GenerateDataKey'))).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    });
    // ACM: reads of any certificate of the account and region; re-import and delete only of a
    // certificate carrying the issuer's tag; a first import only with that tag, and no other.
    const certificates = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':acm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':certificate/*']] };
    expect(ACM_OWNER_TAG).toBe('acme-on-aws:certificate');
    expect(statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(certificates))).toEqual([
      { Action: ['acm:DescribeCertificate', 'acm:GetCertificate'], Effect: 'Allow', Resource: certificates },
      { Action: ['acm:DeleteCertificate', 'acm:ImportCertificate'], Effect: 'Allow', Resource: certificates, Condition: { Null: { 'aws:ResourceTag/acme-on-aws:certificate': 'false' } } },
      {
        Action: ['acm:AddTagsToCertificate', 'acm:ImportCertificate'],
        Effect: 'Allow',
        Resource: certificates,
        Condition: { Null: { 'aws:RequestTag/acme-on-aws:certificate': 'false' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['acme-on-aws:certificate'] } },
      },
    ]);
    // The one "*" resource is ListCertificates, which IAM offers no narrower resource for.
    expect(statements.filter((s) => s.Resource === '*')).toEqual([{ Action: 'acm:ListCertificates', Effect: 'Allow', Resource: '*' }]);
    const allActions = statements.flatMap((s) => asArray(s.Action)).sort();
    expect(allActions).toEqual(
      [
        'acm:AddTagsToCertificate',
        'acm:DeleteCertificate',
        'acm:DescribeCertificate',
        'acm:GetCertificate',
        'acm:ImportCertificate',
        'acm:ImportCertificate',
        'acm:ListCertificates',
        'events:PutEvents',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        's3:PutObject',
      ].sort(),
    );
  });

  it('runs in a public subnet with a public IP and an egress-only security group (the CA and AWS on 443, the pre-flight on 80), no NAT gateway', () => {
    const sg = synth.json.Resources[logicalId(synth, synth.stack.issuer.securityGroup)]!;
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    // tests/e2e/network.test.ts checks these against every connection the issuer makes.
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80, Description: "To the pre-flight's probe of each name's challenge URL" }),
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'To the ACME CA and the AWS APIs (S3, ACM, KMS, ECR, Logs)' }),
    ]);
    synth.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    expect(synth.stack.issuer.assignPublicIp).toBe(true);
  });

  it("stages the image's build context without .env, node_modules or cdk.out", () => {
    const manifest = JSON.parse(readFileSync(join(synth.outdir, `${synth.stack.artifactId}.assets.json`), 'utf8'));
    const image = only<any>(Object.values(manifest.dockerImages));
    expect(image.source.dockerFile).toBe('container/Dockerfile');
    const context = join(synth.outdir, image.source.directory);
    const staged = readdirSync(context);
    expect(staged).toEqual(expect.arrayContaining(['container', 'lib', 'package.json', 'package-lock.json']));
    for (const excluded of ['.env', 'node_modules', 'cdk.out', '.git', '.local', 'tests']) expect(staged).not.toContain(excluded);
    expect(existsSync(join(context, 'container', 'Dockerfile'))).toBe(true);
  });
});

describe('renewal schedule', () => {
  it('runs the task twice a day with `renew` inside a one-hour flexible window', () => {
    const [, schedule] = only(resourcesOfType(synth.json, 'AWS::Scheduler::Schedule'));
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 3,15 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
    });
    const target = schedule.Properties.Target;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.cluster), 'Arn'] });
    expect(JSON.parse(target.Input)).toEqual({ containerOverrides: [{ name: 'issuer', command: ['renew'] }] });
    expect(target.EcsParameters).toMatchObject({
      TaskDefinitionArn: { Ref: logicalId(synth, synth.stack.issuer.taskDefinition) },
      LaunchType: 'FARGATE',
      TaskCount: 1,
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'ENABLED',
          SecurityGroups: [{ 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.securityGroup), 'GroupId'] }],
        },
      },
    });
    expect(target.EcsParameters.NetworkConfiguration.AwsvpcConfiguration.Subnets).toHaveLength(2);
  });

  it('role may start only this task definition on this cluster and pass only its two roles', () => {
    const statements = statementsOfRole(synth.json, logicalId(synth, synth.stack.renewal.role));
    const taskDefinition = synth.stack.issuer.taskDefinition;
    expect(statements).toEqual([
      {
        Action: 'ecs:RunTask',
        Effect: 'Allow',
        Resource: { Ref: logicalId(synth, taskDefinition) },
        Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.cluster), 'Arn'] } } },
      },
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: [{ 'Fn::GetAtt': [logicalId(synth, taskDefinition.executionRole!), 'Arn'] }, { 'Fn::GetAtt': [logicalId(synth, taskDefinition.taskRole), 'Arn'] }],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
    ]);
  });
});

describe('outputs', () => {
  it('give the CNAME target, the bucket, the log group and the exact run-task command', () => {
    const outputs = synth.json.Outputs!;
    expect(outputs['ChallengeDnsName']!.Value).toEqual({ 'Fn::GetAtt': [logicalId(synth, synth.stack.responder.loadBalancer!), 'DNSName'] });
    expect(outputs['CertificateBucket']!.Value).toEqual({ Ref: bucketId });
    expect(outputs['IssuerLogGroup']!.Value).toEqual({ Ref: logicalId(synth, synth.stack.issuer.logGroup) });
    const command = JSON.stringify(outputs['RunTaskCommand']!.Value);
    for (const part of ['aws ecs run-task', '--cluster', '--task-definition', '--launch-type FARGATE', 'awsvpcConfiguration={subnets=[', 'assignPublicIp=ENABLED', '--overrides']) {
      expect(command).toContain(part.replace(/"/g, '\\"'));
    }
    expect(command).toContain(JSON.stringify(JSON.stringify({ containerOverrides: [{ name: 'issuer', command: ['renew'] }] })).slice(1, -1));
    // The CAA pin is known only after `register`: the output is the command that prints what it published.
    expect(outputs['CaaRecordsCommand']!.Value).toEqual({ 'Fn::Join': ['', ['aws s3 cp s3://', { Ref: bucketId }, '/account/caa.json -']] });
    for (const name of ['ClusterName', 'TaskDefinitionArn', 'TaskSubnetIds', 'TaskSecurityGroupId', 'TaskAssignPublicIp', 'ContainerName']) {
      expect(outputs[name]).toBeDefined();
    }
  });
});

function byJson(a: unknown, b: unknown): number {
  return JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;
}
