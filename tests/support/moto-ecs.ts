// moto alone (scripts/local/moto-server.py, over HTTP) with what the certificate API talks to:
// the certificate bucket, and an ECS cluster with the issuer's task definition in the default
// VPC (moto checks RunTask's subnets and records every task with its overrides).
import { spawn, type ChildProcess } from 'node:child_process';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, RegisterTaskDefinitionCommand, type Task } from '@aws-sdk/client-ecs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../scripts/local/free-port.js';
import { repoRoot } from './local-stack.js';

export interface MotoEcs {
  /** What apiFromEnv needs: the store and the issuer task target, as the stack sets them. */
  readonly env: Record<string, string>;
  readonly s3: S3Client;
  readonly ecs: ECSClient;
  /** Every task moto recorded on the cluster, with its overrides. */
  tasks(): Promise<Task[]>;
  stop(): Promise<void>;
}

export async function startMotoEcs(name: string): Promise<MotoEcs> {
  const port = await freePort();
  const moto: ChildProcess = spawn('python3', ['scripts/local/moto-server.py', '-H', '127.0.0.1', '-p', String(port)], { cwd: repoRoot, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const up = await fetch(`${endpoint}/moto-api/config`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || moto.exitCode !== null) throw new Error(`moto-server.py did not answer on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const settings = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const s3 = new S3Client({ ...settings, forcePathStyle: true });
  const ecs = new ECSClient(settings);
  const ec2 = new EC2Client(settings);
  const bucket = `test-${name}-${Math.random().toString(36).slice(2, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const cluster = (await ecs.send(new CreateClusterCommand({ clusterName: `acme-${name}` }))).cluster!.clusterArn!;
  const taskDefinition = (
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'issuer',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'issuer', image: 'acme-on-aws-issuer', memory: 512, command: ['renew'], essential: true }],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;
  const subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets![0]!.SubnetId!;
  const group = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups![0]!.GroupId!;
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    CERT_BUCKET: bucket,
    ISSUER_CLUSTER: cluster,
    ISSUER_TASK_DEFINITION: taskDefinition,
    ISSUER_CONTAINER: 'issuer',
    ISSUER_SUBNETS: subnet,
    ISSUER_SECURITY_GROUPS: group,
    ISSUER_ASSIGN_PUBLIC_IP: 'true',
  };
  return {
    env,
    s3,
    ecs,
    async tasks() {
      const arns = (await ecs.send(new ListTasksCommand({ cluster }))).taskArns ?? [];
      if (arns.length === 0) return [];
      return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
    },
    async stop() {
      moto.kill('SIGTERM');
      await new Promise((resolve) => (moto.exitCode !== null ? resolve(undefined) : moto.once('exit', resolve)));
    },
  };
}
