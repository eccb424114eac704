import { describe, expect, it } from 'vitest';
import { isIssuerError } from '../../lib/core/errors.js';
import { parseDeployConfig } from '../../lib/core/deploy-config.js';
import type { Env } from '../../lib/core/config.js';

function problems(env: Env): string {
  try {
    parseDeployConfig(env);
  } catch (error) {
    if (isIssuerError(error, 'ERR_CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('parseDeployConfig', () => {
  it('has working defaults for every variable', () => {
    const config = parseDeployConfig({});
    expect(config).toMatchObject({
      stackName: 'AcmeIssuer',
      bucketName: undefined,
      directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      accountKeyType: 'ec-p256',
      certKeyType: 'rsa-2048',
      acmImport: true,
      logRetentionDays: 90,
      schedule: { expression: 'cron(0 3,15 * * ? *)', timezone: 'UTC', windowMinutes: 60, enabled: true },
      network: { vpcId: undefined, taskSubnets: 'public' },
      existingListener: undefined,
      httpsCertificateArn: undefined,
      responderReservedConcurrency: 20,
    });
  });

  it('takes a failover list of CAs and hands it to the task in order', () => {
    expect(parseDeployConfig({ DEPLOY_ACME_DIRECTORY: 'letsencrypt|zerossl' }).directoryUrl).toBe('https://acme-v02.api.letsencrypt.org/directory|https://acme.zerossl.com/v2/DV90');
  });

  it('ignores the local-stack variables (a pebble URL, moto endpoint) that share .env', () => {
    const config = parseDeployConfig({ ACME_DIRECTORY: 'https://localhost:14000/dir', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', CERT_BUCKET: 'x' });
    expect(config.directoryUrl).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
  });

  it.each([
    [{ DEPLOY_ACME_DIRECTORY: 'https://localhost:14000/dir' }, 'DEPLOY_ACME_DIRECTORY="https://localhost:14000/dir" points at this machine'],
    [{ DEPLOY_ACME_DIRECTORY: 'letsencrypt|https://127.0.0.1:14000/dir' }, 'points at this machine'],
    [{ DEPLOY_ACME_DIRECTORY: 'letsencrypt|lets-encrypt' }, 'DEPLOY_ACME_DIRECTORY="letsencrypt|lets-encrypt" is not valid: "lets-encrypt" is not a CA'],
    [{ DEPLOY_ACME_DIRECTORY: 'http://ca.example.com/dir' }, 'DEPLOY_ACME_DIRECTORY="http://ca.example.com/dir" is not valid; expected a URL starting with https://'],
    [{ DEPLOY_STACK_NAME: '1stack' }, 'DEPLOY_STACK_NAME="1stack" is not valid'],
    [{ DEPLOY_BUCKET_NAME: 'Upper_Case' }, 'DEPLOY_BUCKET_NAME="Upper_Case" is not valid'],
    [{ DEPLOY_LOG_RETENTION_DAYS: '10' }, 'DEPLOY_LOG_RETENTION_DAYS="10" is not valid; expected one of 1, 3, 5'],
    [{ DEPLOY_SCHEDULE: 'every day' }, 'DEPLOY_SCHEDULE="every day" is not valid; expected an EventBridge Scheduler expression'],
    [{ DEPLOY_SCHEDULE_WINDOW_MINUTES: '2000' }, 'DEPLOY_SCHEDULE_WINDOW_MINUTES="2000" is not valid; expected an integer from 0 to 1440'],
    [{ DEPLOY_TASK_SUBNETS: 'isolated' }, 'DEPLOY_TASK_SUBNETS="isolated" is not valid; expected one of public, private'],
    [{ DEPLOY_ACME_EAB_KID: 'kid' }, 'DEPLOY_ACME_EAB_KID and DEPLOY_ACME_EAB_HMAC_SECRET_ARN must be set together'],
    // 0 is Lambda's "never run": refused, with the way to ask for no reservation
    [
      { DEPLOY_RESPONDER_RESERVED_CONCURRENCY: '0' },
      'DEPLOY_RESPONDER_RESERVED_CONCURRENCY="0" is not valid; expected a number of concurrent executions from 1 to 99999 (default 20), or none for no reservation (0 would stop the responder)',
    ],
    [{ DEPLOY_RESPONDER_RESERVED_CONCURRENCY: 'unlimited' }, 'DEPLOY_RESPONDER_RESERVED_CONCURRENCY="unlimited" is not valid'],
    [{ DEPLOY_ACME_EAB_KID: 'kid', DEPLOY_ACME_EAB_HMAC_SECRET_ARN: 'secret' }, 'DEPLOY_ACME_EAB_HMAC_SECRET_ARN (value not shown: secret) is not valid'],
    [{ DEPLOY_ALB_LISTENER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/a/0123abcd/4567ef01' }, 'DEPLOY_ALB_RULE_PRIORITY is not set'],
    [{ DEPLOY_ALB_RULE_PRIORITY: '5' }, 'DEPLOY_ALB_RULE_PRIORITY is set but DEPLOY_ALB_LISTENER_ARN is not'],
    [{ DEPLOY_HTTPS_CERTIFICATE_ARN: 'cert' }, 'DEPLOY_HTTPS_CERTIFICATE_ARN="cert" is not valid'],
    [{ DEPLOY_VPC_ID: 'vpc-0123456789abcdef0' }, 'DEPLOY_TASK_SUBNET_IDS is not set'],
    [{ DEPLOY_TASK_SUBNET_IDS: 'subnet-0123abcd' }, 'apply only with DEPLOY_VPC_ID'],
    [
      { DEPLOY_VPC_ID: 'vpc-0123456789abcdef0', DEPLOY_AVAILABILITY_ZONES: 'eu-west-1a', DEPLOY_TASK_SUBNET_IDS: 'subnet-0123abcd,subnet-4567ef01', DEPLOY_ALB_SUBNET_IDS: 'subnet-0123abcd,subnet-4567ef01' },
      'DEPLOY_AVAILABILITY_ZONES must list one zone per subnet',
    ],
    [{ DEPLOY_REGION: 'europe' }, 'DEPLOY_REGION="europe" is not valid'],
  ] as [Env, string][])('%j is rejected, naming the variable', (env, message) => {
    expect(problems(env)).toContain(message);
  });

  it('reports every problem at once', () => {
    const message = problems({ DEPLOY_STACK_NAME: '-', DEPLOY_CERT_KEY_TYPE: 'dsa', DEPLOY_ACM_IMPORT: 'maybe' });
    expect(message).toContain('DEPLOY_STACK_NAME');
    expect(message).toContain('DEPLOY_CERT_KEY_TYPE="dsa" is not valid; expected one of rsa-2048, ec-p256');
    expect(message).toContain('DEPLOY_ACM_IMPORT="maybe" is not valid; expected true or false');
  });
});
