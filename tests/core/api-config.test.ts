import { describe, expect, it } from 'vitest';
import { IssuerError, issuerOverrides, issuerRunTaskInput, parseApiConfig } from '../../lib/core/index.js';

const env = {
  CERT_BUCKET: 'certs-bucket',
  ISSUER_CLUSTER: 'arn:aws:ecs:us-east-1:123456789012:cluster/acme',
  ISSUER_TASK_DEFINITION: 'arn:aws:ecs:us-east-1:123456789012:task-definition/issuer:3',
  ISSUER_SUBNETS: 'subnet-1,subnet-2',
  ISSUER_SECURITY_GROUPS: 'sg-1',
};

describe('parseApiConfig', () => {
  it('reads the issuer task target and the administrators the stack sets', () => {
    const config = parseApiConfig({ ...env, API_ADMINS: 'arn:aws:iam::123456789012:role/platform,arn:aws:iam::123456789012:user/ops', ISSUER_ASSIGN_PUBLIC_IP: 'false' });
    expect(config.task).toEqual({ cluster: env.ISSUER_CLUSTER, taskDefinition: env.ISSUER_TASK_DEFINITION, container: 'issuer', subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: false });
    expect(config.admins).toEqual(['arn:aws:iam::123456789012:role/platform', 'arn:aws:iam::123456789012:user/ops']);
  });

  it('names every missing or bad variable at once', () => {
    let error: unknown;
    try {
      parseApiConfig({ CERT_BUCKET: 'certs-bucket', API_ADMINS: 'platform', ISSUER_SUBNETS: 'subnet 1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IssuerError);
    const message = (error as IssuerError).message;
    for (const part of ['ISSUER_CLUSTER is not set', 'ISSUER_TASK_DEFINITION is not set', 'API_ADMINS: "platform" is not an IAM ARN', 'ISSUER_SUBNETS="subnet 1" is not valid']) expect(message).toContain(part);
  });
});

describe('issuerRunTaskInput', () => {
  it("is the renewal schedule's RunTask input with the command as its container override", () => {
    const { task } = parseApiConfig(env);
    expect(issuerRunTaskInput(task, ['renew', 'shop'], 'api:shop')).toEqual({
      cluster: env.ISSUER_CLUSTER,
      taskDefinition: env.ISSUER_TASK_DEFINITION,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      count: 1,
      startedBy: 'api:shop',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
      overrides: issuerOverrides('issuer', ['renew', 'shop']),
    });
    expect(issuerOverrides('issuer', ['renew'])).toEqual({ containerOverrides: [{ name: 'issuer', command: ['renew'] }] });
    // RunTask refuses a startedBy over 36 characters.
    expect(issuerRunTaskInput(task, ['renew'], `api:${'x'.repeat(64)}`).startedBy).toHaveLength(36);
  });
});
