// `just deploy-local` for real: scripts/deploy-local.ts as a process runs the project's CDK CLI
// (synth, bootstrap, deploy --method=direct) against a fresh moto 5.2 and asks the deployed
// responder a challenge under the Lambda runtime emulator. Its moto is kept for the assertions
// below, which read what the CLI deployed back from moto's APIs, then stopped with `stop`.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketEncryptionCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESPONDER_RESERVED_CONCURRENCY } from '../../lib/core/deploy-config.js';
import { accountJwkText, createPrivateKeyPem, publicJwkOf } from '../../container/acme/keys.js';
import { readStackAssembly, type StackAssembly } from '../../scripts/deploy-local/assembly.js';
import type { DeployedResponder } from '../../scripts/deploy-local/deployed-responder.js';
import { askResponder } from '../../scripts/deploy-local/responder-check.js';
import { freePort } from '../support/local-stack.js';
import { REPO_ROOT, only } from './synth.js';

const run = promisify(execFile);
const STACK = 'AcmeIssuerLocal';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/** Resource types moto 5.2.1's CloudFormation skips (it lists them as entries with no type or id). */
const SKIPPED_BY_MOTO = ['AWS::S3::BucketPolicy', 'AWS::Scheduler::Schedule', 'AWS::CloudWatch::Alarm', 'AWS::Logs::MetricFilter', 'AWS::SNS::TopicPolicy', 'AWS::CDK::Metadata'];

interface RunRecord {
  readonly endpoint: string;
  readonly motoPid: number;
  readonly outputs: Record<string, string>;
  readonly responder: DeployedResponder;
  readonly answer: { token: string; status: number; body: string; expected: string; ok: boolean; event: { headers: Record<string, string>; requestContext: { elb: { targetGroupArn: string } }; path: string } };
}

/**
 * The shell a careless user might run it from: a profile, keys and an endpoint of a real account.
 * The run succeeds only if none of them reaches the CLI or the SDK clients: the endpoint refuses
 * every request, the profile exists nowhere, and moto would record the stack under the account.
 */
const HOSTILE_AWS_ENV = {
  AWS_PROFILE: 'production-admin',
  AWS_ACCESS_KEY_ID: 'AKIAREALACCOUNTKEY00',
  AWS_SECRET_ACCESS_KEY: 'not-moto',
  AWS_SESSION_TOKEN: 'a-real-session',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_REGION: 'eu-west-1',
  CDK_DEFAULT_ACCOUNT: '999999999999',
};

function scriptEnv(stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOCAL_STATE_DIR: stateDir,
    DEPLOY_STACK_NAME: STACK,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...HOSTILE_AWS_ENV,
    ...extra,
  };
}

const deployLocal = (env: Record<string, string>, args: string[] = []) =>
  run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/deploy-local.ts'), ...args], { cwd: REPO_ROOT, env, timeout: 280_000, maxBuffer: 16 * 1024 * 1024 });

let stateDir: string;
let record: RunRecord;
let printed: string;
let assembly: StackAssembly;
let settings: { endpoint: string; region: string; credentials: typeof CREDENTIALS; forcePathStyle: true };

/** One ECS JSON call (no ECS client among our dependencies): moto routes by the credential scope's service. */
async function ecs(target: string, body: unknown): Promise<any> {
  const response = await fetch(`${record.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AmazonEC2ContainerServiceV20141113.${target}`,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${REGION}/ecs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${target}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, '.local'), { recursive: true });
  stateDir = mkdtempSync(join(REPO_ROOT, '.local', 'test-deploy-local-'));
  const { stdout, stderr } = await deployLocal(scriptEnv(stateDir, { DEPLOY_LOCAL_KEEP_MOTO: 'true' }));
  printed = stdout + stderr;
  const dir = join(stateDir, 'deploy-local');
  record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  assembly = readStackAssembly(join(dir, 'cdk.out'), STACK);
  settings = { endpoint: record.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true };
}, 300_000);

afterAll(async () => {
  if (stateDir === undefined) return;
  try {
    await deployLocal(scriptEnv(stateDir), ['stop']);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

describe('just deploy-local: the CDK CLI deploys into a fresh moto', () => {
  it('prints every output of the stack, as the CLI wrote them to its outputs file', () => {
    expect(Object.keys(record.outputs).length).toBeGreaterThan(10);
    for (const [key, value] of Object.entries(record.outputs)) expect(printed).toMatch(new RegExp(`^  ${key} +${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(record.outputs['ChallengeDnsName']).toMatch(/\.elb\.amazonaws\.com$/);
    expect(record.outputs['Region']).toBe(REGION);
    expect(record.outputs['TaskAssignPublicIp']).toBe('ENABLED');
    expect(record.outputs['TaskSubnetIds']).toMatch(/^subnet-[0-9a-f]+,subnet-[0-9a-f]+$/);
    expect(record.outputs['RunTaskCommand']).toContain(`--cluster ${record.outputs['ClusterName']} --task-definition ${record.outputs['TaskDefinitionArn']}`);
    expect(record.outputs['RunTaskCommand']).toContain(`securityGroups=[${record.outputs['TaskSecurityGroupId']}]`);
    // The schedule is one of the resources moto skips, so the output that names it is dropped too.
    expect(record.outputs['RenewalScheduleName']).toBeUndefined();
  });

  it("deployed into moto's account with the CLI: the bootstrap stack and then ours, complete", async () => {
    const cloudformation = new CloudFormationClient(settings);
    const toolkit = only((await cloudformation.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }))).Stacks ?? []);
    expect(toolkit.StackStatus).toBe('CREATE_COMPLETE');
    const stack = only((await cloudformation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks ?? []);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.StackId).toMatch(new RegExp(`^arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/`));
  });

  it('created every resource moto supports and skipped exactly the types it does not', async () => {
    const resources = (await new CloudFormationClient(settings).send(new DescribeStackResourcesCommand({ StackName: STACK }))).StackResources ?? [];
    const template = Object.values(assembly.template.Resources);
    expect(resources).toHaveLength(template.length);
    expect(new Set(resources.map((resource) => resource.ResourceStatus))).toEqual(new Set(['CREATE_COMPLETE']));
    const created = resources.filter((resource) => resource.ResourceType !== undefined);
    const supported = template.filter((resource) => !SKIPPED_BY_MOTO.includes(resource.Type));
    expect(created.map((resource) => resource.ResourceType).sort()).toEqual(supported.map((resource) => resource.Type).sort());
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Lambda::Function', 'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ECS::TaskDefinition', 'AWS::IAM::Policy']) {
      expect(created.map((resource) => resource.ResourceType)).toContain(type);
    }
  });

  it('created the certificate bucket encrypted with the stack key', async () => {
    // moto's CloudFormation applies a bucket's encryption and tags only (not versioning or the
    // public access block), so those two are asserted on the template in stack.test.ts.
    const encryption = await new S3Client(settings).send(new GetBucketEncryptionCommand({ Bucket: record.outputs['CertificateBucket']! }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: record.outputs['CertificateKeyArn'],
    });
  });

  it('created the :80 listener with the challenge rule forwarding to the Lambda target group', async () => {
    const elb = new ElasticLoadBalancingV2Client(settings);
    const balancer = only((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []);
    expect(balancer.DNSName).toBe(record.outputs['ChallengeDnsName']);
    const listener = only((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: balancer.LoadBalancerArn }))).Listeners ?? []);
    expect(listener.Port).toBe(80);
    const group = only((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []);
    expect(group.TargetType).toBe('lambda');
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules ?? [];
    const challenge = only(rules.filter((rule) => rule.IsDefault !== true));
    expect(challenge.Conditions?.flatMap((condition) => condition.PathPatternConfig?.Values ?? condition.Values ?? [])).toEqual(['/.well-known/acme-challenge/*']);
    expect(challenge.Actions?.map((action) => [action.Type, action.TargetGroupArn])).toEqual([['forward', group.TargetGroupArn]]);
  });

  it('registered the Fargate task definition with the issuer container, its renew command and the image the recipe put', async () => {
    const { taskDefinition } = await ecs('DescribeTaskDefinition', { taskDefinition: record.outputs['TaskDefinitionArn'] });
    // moto keeps family, containers, volumes and memory of a CloudFormation task definition.
    expect(taskDefinition.memory).toBe('512');
    const container = only(taskDefinition.containerDefinitions as { name: string; command: string[]; image: string }[]);
    expect(container).toMatchObject({ name: 'issuer', command: ['renew'] });
    const [asset] = Object.values(assembly.assets.dockerImages ?? {});
    const destination = only(Object.values(asset!.destinations));
    const repository = `cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`;
    expect(container.image).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repository}:${destination.imageTag}`);
    const images = await new ECRClient(settings).send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: destination.imageTag }] }));
    expect(images.imageDetails).toHaveLength(1);
  });
});

describe('just deploy-local: the deployed responder answers a challenge', () => {
  it('ran the code Lambda holds, with the configuration GetFunction reports', () => {
    expect(record.responder.runtime).toBe('nodejs24.x');
    expect(record.responder.handler).toBe('index.handler');
    expect(record.responder.environment['CERT_BUCKET']).toBe(record.outputs['CertificateBucket']);
    expect(record.responder.logFormat).toBe('JSON');
    expect(record.responder.codeObject).toMatch(new RegExp(`^s3://cdk-hnb659fds-assets-${ACCOUNT}-${REGION}/[0-9a-f]{64}\\.zip$`));
  });

  it('holds the reserved concurrency of the template: CloudFormation gave the function its ceiling', async () => {
    const concurrency = await new LambdaClient(settings).send(new GetFunctionConcurrencyCommand({ FunctionName: record.responder.functionName }));
    expect(concurrency.ReservedConcurrentExecutions).toBe(DEFAULT_RESPONDER_RESERVED_CONCURRENCY);
  });

  it('was sent the ALB event of GET /.well-known/acme-challenge/<token> on the :80 listener', () => {
    const event = record.answer.event;
    expect(event.path).toBe(`/.well-known/acme-challenge/${record.answer.token}`);
    expect(event.headers['x-forwarded-port']).toBe('80');
    expect(event.requestContext.elb.targetGroupArn).toBe(record.responder.targetGroupArn);
    expect(record.responder.targetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\//);
  });

  it('answered 200 with token.thumbprint of the JWK in the deployed bucket, which is stored with the stack key', async () => {
    const s3 = new S3Client(settings);
    const location = { Bucket: record.outputs['CertificateBucket']!, Key: 'account/jwk.json' };
    const head = await s3.send(new HeadObjectCommand(location));
    expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(['aws:kms', record.outputs['CertificateKeyArn']]);
    const jwk = JSON.parse(await (await s3.send(new GetObjectCommand(location))).Body!.transformToString()) as JWK;
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']); // public members only (DEPLOY_ACME_ACCOUNT_KEY_TYPE ec-p256)
    expect(record.answer.status).toBe(200);
    expect(record.answer.body).toBe(`${record.answer.token}.${await calculateJwkThumbprint(jwk, 'sha256')}`);
    expect(record.answer.ok).toBe(true);
  });

  it('would report a wrong answer: after another key replaces the JWK, the check fails', async () => {
    const s3 = new S3Client(settings);
    const original = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: record.outputs['CertificateBucket']!, Key: 'account/jwk.json' }))).Body!.transformToString());
    const other = publicJwkOf(await createPrivateKeyPem('ec-p256'));
    await s3.send(new PutObjectCommand({ Bucket: record.outputs['CertificateBucket']!, Key: 'account/jwk.json', Body: accountJwkText(other) }));
    const answer = await askResponder({
      responder: record.responder,
      jwk: original,
      aws: { endpoint: record.endpoint, region: REGION, ...CREDENTIALS },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`${answer.token}.${await calculateJwkThumbprint(other as JWK, 'sha256')}`);
    expect(answer.ok).toBe(false);
  });
});

describe('just deploy-local: refusals', () => {
  it('stops before deploying anything when the configured moto port is taken', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await once(blocker, 'listening');
    const other = mkdtempSync(join(REPO_ROOT, '.local', 'test-deploy-local-port-'));
    try {
      const failed = await deployLocal(scriptEnv(other, { DEPLOY_LOCAL_MOTO_PORT: String(port) })).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(`port ${port} is in use`);
      expect(failed?.stderr).not.toContain('cdk synth');
    } finally {
      blocker.close();
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('just deploy-local stop', () => {
  it('stops the moto a run kept, and only that one', async () => {
    const alive = () => {
      try {
        process.kill(record.motoPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    const { stderr } = await deployLocal(scriptEnv(stateDir), ['stop']);
    expect(stderr).toContain(`stopped moto (pid ${record.motoPid})`);
    expect(alive()).toBe(false);
    await expect(fetch(`${record.endpoint}/`)).rejects.toThrow();
  });
});
