// Resolving the template's intrinsics for the local stack (scripts/local/iam-policy.ts).
import { describe, expect, it } from 'vitest';
import { physicalResources, resolvePolicy, resolveValue, type LocalResources } from '../../scripts/local/iam-policy.js';
import type { TemplatePolicies } from '../../scripts/local/iam-template.js';

const local: LocalResources = { region: 'eu-west-1', account: '111122223333', partition: 'aws', bucket: 'b', keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k-1' };
const policies = {
  resources: {
    bucket: 'Bucket',
    key: 'Key',
    responderLogGroup: 'RLogs',
    issuerLogGroup: 'ILogs',
    apiLogGroup: 'ALogs',
    cluster: 'Cluster',
    taskDefinition: 'TaskDef',
    taskRole: 'TaskRole',
    executionRole: 'ExecRole',
    exportKey: 'ExportKey',
    httpsListener: 'Https',
  },
  types: {
    Bucket: 'AWS::S3::Bucket',
    Key: 'AWS::KMS::Key',
    RLogs: 'AWS::Logs::LogGroup',
    ILogs: 'AWS::Logs::LogGroup',
    ALogs: 'AWS::Logs::LogGroup',
    Cluster: 'AWS::ECS::Cluster',
    TaskDef: 'AWS::ECS::TaskDefinition',
    TaskRole: 'AWS::IAM::Role',
    ExecRole: 'AWS::IAM::Role',
    ExportKey: 'AWS::KMS::Key',
    Https: 'AWS::ElasticLoadBalancingV2::Listener',
    Vpc: 'AWS::EC2::VPC',
  },
} as unknown as TemplatePolicies;
const context = (extra: Partial<LocalResources> = {}) => ({
  local: { ...local, ...extra },
  resources: physicalResources(policies, { ...local, ...extra }, { responderLogGroup: '/r', issuerLogGroup: '/i', apiLogGroup: '/a' }),
  types: policies.types,
});

describe('resolveValue', () => {
  it.each([
    [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/live/*']] }, 'arn:aws:s3:::b/live/*'],
    [{ 'Fn::GetAtt': ['Key', 'Arn'] }, 'arn:aws:kms:eu-west-1:111122223333:key/k-1'],
    [{ 'Fn::GetAtt': 'RLogs.Arn' }, 'arn:aws:logs:eu-west-1:111122223333:log-group:/r:*'],
    [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':acm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':certificate/*']] }, 'arn:aws:acm:eu-west-1:111122223333:certificate/*'],
    [{ 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] }, 's3.eu-west-1.amazonaws.com'],
    [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/x' }, 'arn:aws:s3:::b/x'],
    [{ 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['Key', 'Arn'] }] }] }, 'k-1'],
    [{ Ref: 'Key' }, 'k-1'],
  ])('%j is %j', (value, expected) => {
    expect(resolveValue(value, context())).toBe(expected);
  });

  it('resolves a resource not made yet to an ARN of its type that matches nothing, and the real one once given', () => {
    expect(resolveValue({ Ref: 'Https' }, context())).toMatch(/^arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener\/app\/not-created-yet\//);
    expect(resolveValue({ Ref: 'Https' }, context({ httpsListenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/b/c' }))).toBe('arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/b/c');
    expect(resolveValue({ 'Fn::GetAtt': ['ExportKey', 'Arn'] }, context({ exportKeyArn: 'arn:aws:kms:eu-west-1:1:key/e' }))).toBe('arn:aws:kms:eu-west-1:1:key/e');
  });

  it("resolves the API's RunTask and PassRole resources to the registered task, and the execution role to an ARN that is nobody", () => {
    const before = context();
    expect(resolveValue({ Ref: 'TaskDef' }, before)).toBe('arn:aws:ecs:eu-west-1:111122223333:task-definition/not-created-yet:1');
    expect(resolveValue({ 'Fn::GetAtt': ['Cluster', 'Arn'] }, before)).toBe('arn:aws:ecs:eu-west-1:111122223333:cluster/not-created-yet');
    const registered = context({
      clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/IssuerCluster',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/issuer:3',
      taskRoleArn: 'arn:aws:iam::111122223333:role/local-issuer-task',
    });
    expect(resolveValue({ Ref: 'TaskDef' }, registered)).toBe('arn:aws:ecs:eu-west-1:111122223333:task-definition/issuer:3');
    expect(resolveValue({ 'Fn::GetAtt': ['Cluster', 'Arn'] }, registered)).toBe('arn:aws:ecs:eu-west-1:111122223333:cluster/IssuerCluster');
    expect(resolveValue({ 'Fn::GetAtt': ['TaskRole', 'Arn'] }, registered)).toBe('arn:aws:iam::111122223333:role/local-issuer-task');
    expect(resolveValue({ 'Fn::GetAtt': ['ExecRole', 'Arn'] }, registered)).toBe('arn:aws:iam::111122223333:role/not-created-locally-execution-role');
    expect(resolveValue({ 'Fn::GetAtt': ['ALogs', 'Arn'] }, registered)).toBe('arn:aws:logs:eu-west-1:111122223333:log-group:/a:*');
  });

  it.each([
    [{ Ref: 'Vpc' }, /cannot resolve Ref Vpc \(AWS::EC2::VPC\): the local stack has no such resource/],
    [{ 'Fn::GetAtt': ['Bucket', 'WebsiteURL'] }, /cannot resolve Fn::GetAtt Bucket\.WebsiteURL/],
    [{ 'Fn::ImportValue': 'x' }, /cannot resolve Fn::ImportValue/],
  ])('refuses %j by name instead of guessing', (value, message) => {
    expect(() => resolveValue(value, context())).toThrow(message);
  });
});

it('resolves every part of a statement, conditions included', () => {
  const document = resolvePolicy(
    [
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': ['Key', 'Arn'] },
        Condition: {
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          ArnEquals: { 'kms:EncryptionContext:aws:s3:arn': { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/account/jwk.json']] } },
        },
      },
    ],
    context(),
  );
  expect(document).toEqual({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: 'arn:aws:kms:eu-west-1:111122223333:key/k-1',
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }, ArnEquals: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::b/account/jwk.json' } },
      },
    ],
  });
});
