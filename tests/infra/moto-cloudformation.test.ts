import { spawn, spawnSync } from 'node:child_process';
import { freePort } from '../support/local-stack.js';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { only, resourcesOfType, synthesize } from './synth.js';
import type { Synthesized } from './synth.js';

/**
 * The synthesized template, created for real by moto's CloudFormation (moto 5.2 server). moto
 * creates the VPC, S3, KMS, IAM, Lambda, ELBv2, ECS and Logs resources and silently skips the
 * bucket policies and the Scheduler schedule (those are asserted on the template elsewhere).
 * Each run starts its own moto on a free port, so it never touches the local stack's moto.
 *
 * The two assets are published the way `cdk deploy` would: the responder bundle zipped into the
 * bootstrap bucket and the bootstrap version in SSM. The image is only referenced by URI: moto's
 * ECS does not pull it.
 */
const REGION = 'us-east-1';
const ACCOUNT = '123456789012'; // moto's default account
let moto: ChildProcess;
let endpoint: string;
let synth: Synthesized;
let outputs: Record<string, string>;

function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20250101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** One AWS Query API call (CloudFormation, ELBv2): moto routes by the credential scope's service. */
async function query(service: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization(service) },
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${params['Action']}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

async function jsonCall(service: string, target: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, authorization: authorization(service) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${target}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]!);
}

async function waitForMoto(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('moto_server did not start within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  synth = synthesize({});
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  // Its own process group: moto_server may be a shim that forks python, and both must go.
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
  await waitForMoto();

  // What `cdk bootstrap` and asset publishing leave behind.
  await jsonCall('ssm', 'AmazonSSM.PutParameter', { Name: '/cdk-bootstrap/hnb659fds/version', Value: '30', Type: 'String', Overwrite: true });
  const s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const assetBucket = `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`;
  await s3.send(new CreateBucketCommand({ Bucket: assetBucket }));
  const manifest = JSON.parse(readFileSync(join(synth.outdir, `${synth.stack.artifactId}.assets.json`), 'utf8'));
  for (const file of Object.values(manifest.files) as { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }[]) {
    if (file.source.packaging !== 'zip') continue; // the template itself is sent with CreateStack
    const zipPath = join(synth.outdir, `${file.source.path}.zip`);
    const zipped = spawnSync('python3', ['-m', 'zipfile', '-c', zipPath, ...['index.mjs'].map((name) => join(synth.outdir, file.source.path, name))], { encoding: 'utf8' });
    if (zipped.status !== 0) throw new Error(`zipping the responder bundle failed: ${zipped.stderr}`);
    for (const destination of Object.values(file.destinations)) {
      await s3.send(new PutObjectCommand({ Bucket: assetBucket, Key: destination.objectKey, Body: readFileSync(zipPath) }));
    }
  }

  await query('cloudformation', {
    Action: 'CreateStack',
    Version: '2010-05-15',
    StackName: 'AcmeIssuerMoto',
    TemplateBody: JSON.stringify(synth.json),
    'Capabilities.member.1': 'CAPABILITY_IAM',
  });
  let status = '';
  let stackXml = '';
  for (let attempt = 0; attempt < 120; attempt++) {
    stackXml = await query('cloudformation', { Action: 'DescribeStacks', Version: '2010-05-15', StackName: 'AcmeIssuerMoto' });
    status = xmlValues(stackXml, 'StackStatus')[0] ?? '';
    if (!status.endsWith('IN_PROGRESS')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(status, stackXml).toBe('CREATE_COMPLETE');
  outputs = Object.fromEntries(
    xmlValues(stackXml, 'member')
      .filter((member) => member.includes('<OutputKey>'))
      .map((member) => [xmlValues(member, 'OutputKey')[0]!, xmlValues(member, 'OutputValue')[0]!]),
  );
}, 120_000);

afterAll(() => {
  if (moto?.pid !== undefined) process.kill(-moto.pid, 'SIGTERM');
});

describe('moto CloudFormation creates the synthesized stack', () => {
  it('reports every resource moto supports as created', async () => {
    const xml = await query('cloudformation', { Action: 'DescribeStackResources', Version: '2010-05-15', StackName: 'AcmeIssuerMoto' });
    const statuses = xmlValues(xml, 'ResourceStatus');
    expect(statuses.length).toBeGreaterThan(30);
    expect(new Set(statuses)).toEqual(new Set(['CREATE_COMPLETE']));
    const types = new Set(xmlValues(xml, 'ResourceType'));
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Lambda::Function', 'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ECS::TaskDefinition', 'AWS::IAM::Policy']) {
      expect(types).toContain(type);
    }
  });

  it('resolves the outputs a person needs after deploy', () => {
    expect(outputs['ChallengeDnsName']).toMatch(/\.elb\.amazonaws\.com$/);
    expect(outputs['TaskAssignPublicIp']).toBe('ENABLED');
    expect(outputs['TaskSubnetIds']).toMatch(/^subnet-[0-9a-f]+,subnet-[0-9a-f]+$/);
    expect(outputs['RunTaskCommand']).toContain(`--cluster ${outputs['ClusterName']} --task-definition ${outputs['TaskDefinitionArn']}`);
    expect(outputs['RunTaskCommand']).toContain(`securityGroups=[${outputs['TaskSecurityGroupId']}]`);
  });

  it('created the certificate bucket encrypted with the stack key', async () => {
    // moto's CloudFormation applies a bucket's encryption and tags only (not versioning or the
    // public access block), so those two are asserted on the template in stack.test.ts.
    const s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: outputs['CertificateBucket']! }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: outputs['CertificateKeyArn'],
    });
  });

  it('created the :80 listener with the challenge rule forwarding to the Lambda target group', async () => {
    const balancers = await query('elasticloadbalancing', { Action: 'DescribeLoadBalancers', Version: '2015-12-01' });
    const balancerArn = only(xmlValues(balancers, 'LoadBalancerArn'));
    const listeners = await query('elasticloadbalancing', { Action: 'DescribeListeners', Version: '2015-12-01', LoadBalancerArn: balancerArn });
    expect(xmlValues(listeners, 'Port')).toEqual(['80']);
    const listenerArn = only(xmlValues(listeners, 'ListenerArn'));
    const rules = await query('elasticloadbalancing', { Action: 'DescribeRules', Version: '2015-12-01', ListenerArn: listenerArn });
    expect(rules).toContain('/.well-known/acme-challenge/*');
    const groups = await query('elasticloadbalancing', { Action: 'DescribeTargetGroups', Version: '2015-12-01' });
    expect(xmlValues(groups, 'TargetType')).toEqual(['lambda']);
    expect(rules).toContain(only(xmlValues(groups, 'TargetGroupArn')));
  });

  it('registered the Fargate task definition with the issuer container and its renew command', async () => {
    const result = (await jsonCall('ecs', 'AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition', {
      taskDefinition: outputs['TaskDefinitionArn'],
    })) as { taskDefinition: { memory: string; containerDefinitions: { name: string; command: string[] }[] } };
    // moto keeps family, containers, volumes and memory of a CloudFormation task definition.
    expect(result.taskDefinition.memory).toBe('512');
    const container = only(result.taskDefinition.containerDefinitions);
    expect(container).toMatchObject({ name: 'issuer', command: ['renew'] });
    // The schedule itself is skipped by moto; its template is asserted in stack.test.ts.
    expect(resourcesOfType(synth.json, 'AWS::Scheduler::Schedule')).toHaveLength(1);
  });
});
