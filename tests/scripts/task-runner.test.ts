// The local task runner (scripts/local/task-runner.ts), started by up.sh: RunTask through moto's
// ECS (with IAM enforced), the real issuer CLI run as the task role, the task reported STOPPED with
// its exit code. `just run-task --local` and `just schedule-fire` are scripts/local/run-task.ts.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templatePolicies } from '../../scripts/local/iam-template.js';
import { scheduleTarget, type LocalTask } from '../../scripts/local/task-definition.js';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { repoRoot, startLocalStack, type LocalStack } from '../support/local-stack.js';

const run = promisify(execFile);
let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let ecs: ECSClient;
let local: LocalTask;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'task-runner' });
  aws = clientsFor(stack);
  ecs = new ECSClient({ region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) });
  local = JSON.parse(readFileSync(join(stack.stateDir, 'run', 'task.json'), 'utf8')) as LocalTask;
}, 180_000);
afterAll(async () => stack?.stop());

interface RunTaskResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly task: Task;
}

/** `just run-task --local -- ARGS` (or `just schedule-fire` for ['--schedule']) as the operator, to its end; then the task as DescribeTasks shows it. */
async function runTask(args: readonly string[]): Promise<RunTaskResult> {
  const recipe = args[0] === '--schedule' ? ['schedule-fire'] : ['run-task', '--local', ...args];
  const child = spawn('npx', ['just', ...recipe], { cwd: repoRoot, env: stack.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? -1)));
  const arn = /started (arn:aws:ecs:\S+):/.exec(stdout)?.[1];
  if (arn === undefined) throw new Error(`run-task started nothing:\n${stdout}\n${stderr}`);
  return { code, stdout, stderr, task: await describe1(arn) };
}

async function describe1(arn: string): Promise<Task> {
  return (await ecs.send(new DescribeTasksCommand({ cluster: local.clusterName, tasks: [arn] }))).tasks![0]!;
}

async function until(arn: string, done: (task: Task) => boolean): Promise<Task> {
  for (;;) {
    const task = await describe1(arn);
    if (done(task)) return task;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function taskLog(task: Task): string {
  return readFileSync(join(stack.stateDir, 'logs', 'tasks', `${task.taskArn!.split('/').pop()!}.log`), 'utf8');
}

describe('the task definition', { timeout: 180_000 }, () => {
  it("is the template's, with the local stack's values and its platform added", async () => {
    const definition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: local.taskDefinitionArn }))).taskDefinition!;
    const container = definition.containerDefinitions![0]!;
    expect(container.name).toBe('issuer');
    expect(container.command).toEqual(['renew']);
    const env = Object.fromEntries(container.environment!.map((pair) => [pair.name!, pair.value!]));
    expect(env).toMatchObject({
      CERT_BUCKET: stack.env.CERT_BUCKET,
      CERT_KMS_KEY_ID: stack.env.CERT_KMS_KEY_ID,
      ACME_DIRECTORY: stack.env.ACME_DIRECTORY,
      AWS_ENDPOINT_URL: stack.env.AWS_ENDPOINT_URL,
      PREFLIGHT_HTTP_PORT: stack.env.PREFLIGHT_HTTP_PORT,
      // the template's value where the local stack has none of its own
      ACME_ACCOUNT_KEY_TYPE: 'ec-p256',
      EXPIRING_EVENT_DAYS: '14',
    });
    // no ALB here, no credentials ever
    expect(Object.keys(env)).not.toContain('ALB_DNS_NAME');
    expect(Object.keys(env).filter((name) => name.startsWith('AWS_ACCESS') || name.startsWith('AWS_SECRET') || name === 'ACME_EAB_HMAC_KEY')).toEqual([]);
    expect(definition.taskRoleArn).toBe(stack.iam!.state.roles.issuer.arn);
  });
});

describe('RunTask on the local stack', { timeout: 180_000 }, () => {
  it('runs issue as the task role: STOPPED with exit code 0, the certificate in S3 and ACM', async () => {
    expect((await runTask(['--', 'register'])).code).toBe(0);
    const result = await runTask(['--', 'issue', '--name', 'runner', '--domain', 'runner.example.com', '--domain', 'www.runner.example.com']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.task).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
    expect(result.task.containers![0]!.exitCode).toBe(0);
    expect(result.task.overrides!.containerOverrides).toEqual([{ name: 'issuer', command: ['issue', '--name', 'runner', '--domain', 'runner.example.com', '--domain', 'www.runner.example.com'] }]);
    expect(result.stdout).toMatch(/exit code: 0 \(EssentialContainerExited/);

    const record = JSON.parse((await aws.read('renewal/runner.json'))!) as { state: string; acm: { certificateArn: string; serial: string }[] };
    expect(record.state).toBe('active');
    const cert = (await aws.read('live/runner/cert.pem'))!;
    const fromAcm = await aws.acm.send(new GetCertificateCommand({ CertificateArn: record.acm[0]!.certificateArn }));
    expect(fromAcm.Certificate!.trim()).toBe(cert.trim());
    // the CLI's JSON lines are the task's output, as CloudWatch Logs gets them
    expect(taskLog(result.task)).toMatch(/"event":"issued"/);
  });

  it('ends a failing command STOPPED with its non-zero exit code, and the live certificate stays', async () => {
    const before = await aws.read('live/runner/cert.pem');
    const result = await runTask(['--', 'issue', '--name', 'runner', '--domain', '*.runner.example.com']);
    expect(result.code).toBe(2);
    expect(result.task.lastStatus).toBe('STOPPED');
    expect(result.task.containers![0]!.exitCode).toBe(2);
    expect(result.task.stopCode).toBe('EssentialContainerExited');
    expect(taskLog(result.task)).toMatch(/wildcard names need DNS-01/);
    expect(await aws.read('live/runner/cert.pem')).toBe(before);
  });

  it("runs the renewal schedule's target input: renew", async () => {
    const target = scheduleTarget(await templatePolicies(stack.deployEnv as Record<string, string>));
    expect(target.overrides).toEqual({ containerOverrides: [{ name: 'issuer', command: ['renew'] }] });
    const result = await runTask(['--schedule']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.task.overrides!.containerOverrides).toEqual(target.overrides.containerOverrides);
    expect(result.task.containers![0]!.exitCode).toBe(0);
    expect(taskLog(result.task)).toMatch(/"event":"renew-summary"/);
  });

  it('runs tasks side by side, each its own process', async () => {
    const results = await Promise.all([runTask(['--', 'list']), runTask(['--', 'show', 'runner']), runTask(['--', 'show', 'nothing-here'])]);
    expect(results.map((r) => r.task.containers![0]!.exitCode)).toEqual([0, 0, 8]);
  });
});

/** A task whose pre-flight asks a DNS server that never answers: it runs for a minute unless stopped. */
async function hangingTask(name: string): Promise<string> {
  // with an account (register changes nothing when there is one), issue gets as far as the pre-flight
  expect((await runTask(['--', 'register'])).code).toBe(0);
  const started = await ecs.send(
    new RunTaskCommand({
      cluster: local.clusterName,
      taskDefinition: local.taskDefinitionArn,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [...local.subnets], securityGroups: [...local.securityGroups] } },
      overrides: {
        containerOverrides: [
          {
            name: 'issuer',
            command: ['issue', '--name', name, '--domain', `${name}.example.com`],
            environment: [
              { name: 'PREFLIGHT_DNS_SERVER', value: '192.0.2.1:53' },
              { name: 'PREFLIGHT_TIMEOUT_MS', value: '60000' },
            ],
          },
        ],
      },
    }),
  );
  return started.tasks![0]!.taskArn!;
}

describe('StopTask', { timeout: 180_000 }, () => {
  it('ends a running task with SIGTERM, as ECS does: STOPPED, UserInitiated, the exit code of the signal', async () => {
    const arn = await hangingTask('stopped');
    await until(arn, (task) => task.lastStatus === 'RUNNING');
    const stopping = await ecs.send(new StopTaskCommand({ cluster: local.clusterName, task: arn, reason: 'stopped by the test' }));
    expect(stopping.task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'STOPPING' });
    const stopped = await until(arn, (task) => task.lastStatus === 'STOPPED');
    expect(stopped).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'stopped by the test' });
    expect(stopped.containers![0]!.exitCode).toBe(143);
  });
});

describe('IAM on RunTask (moto-server.py authorizes it against the task definition, as AWS does)', { timeout: 180_000 }, () => {
  it('lets a role start the task definition its policy names, and refuses another', async () => {
    const settings = { region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) };
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: stack.iam!.state.adminArn }, Action: 'sts:AssumeRole' }] };
    const role = await new IAMClient(settings).send(new CreateRoleCommand({ RoleName: 'run-task-test', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecs:RunTask', Resource: local.taskDefinitionArn }] };
    await new IAMClient(settings).send(new PutRolePolicyCommand({ RoleName: 'run-task-test', PolicyName: 'run', PolicyDocument: JSON.stringify(policy) }));
    const session = (await new STSClient(settings).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'run-task-test' }))).Credentials!;
    const asRole = new ECSClient({ ...settings, credentials: { accessKeyId: session.AccessKeyId!, secretAccessKey: session.SecretAccessKey!, sessionToken: session.SessionToken! } });
    const network = { awsvpcConfiguration: { subnets: [...local.subnets], securityGroups: [...local.securityGroups] } };

    const started = await asRole.send(
      new RunTaskCommand({
        cluster: local.clusterName,
        taskDefinition: local.taskDefinitionArn,
        launchType: 'FARGATE',
        networkConfiguration: network,
        overrides: { containerOverrides: [{ name: 'issuer', command: ['list'] }] },
      }),
    );
    const done = await until(started.tasks![0]!.taskArn!, (task) => task.lastStatus === 'STOPPED');
    expect(done.containers![0]!.exitCode).toBe(0);

    const definition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: local.taskDefinitionArn }))).taskDefinition!;
    const other = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'not-the-issuer', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', containerDefinitions: definition.containerDefinitions }),
    );
    const refused = await asRole.send(new RunTaskCommand({ cluster: local.clusterName, taskDefinition: other.taskDefinition!.taskDefinitionArn, launchType: 'FARGATE', networkConfiguration: network })).then(
      () => 'started',
      (error: unknown) => (error as { name?: string }).name,
    );
    expect(refused).toBe('AccessDeniedException');
  });
});

describe('a runner that restarts', { timeout: 180_000 }, () => {
  const up = () => run('bash', ['scripts/local/up.sh'], { cwd: repoRoot, env: stack.env, timeout: 120_000 });

  it('stops a task it finds RUNNING (its result is lost) and runs one still waiting', async () => {
    const arn = await hangingTask('hangs');
    await until(arn, (task) => task.lastStatus === 'RUNNING');
    const pidFile = join(stack.stateDir, 'run', 'tasks', `${arn.split('/').pop()!}.pid`);
    const cliPid = Number(readFileSync(pidFile, 'utf8'));
    // the runner crashes (only it: its task's process lives on, as a container outlives a lost agent)
    const runnerPid = Number(readFileSync(join(stack.stateDir, 'run', 'task-runner.pid'), 'utf8'));
    process.kill(runnerPid, 'SIGKILL');
    const waiting = await ecs.send(
      new RunTaskCommand({
        cluster: local.clusterName,
        taskDefinition: local.taskDefinitionArn,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: [...local.subnets], securityGroups: [...local.securityGroups] } },
        overrides: { containerOverrides: [{ name: 'issuer', command: ['list'] }] },
      }),
    );
    expect((await describe1(waiting.tasks![0]!.taskArn!)).lastStatus).toBe('PROVISIONING');

    await up();
    const lost = await until(arn, (task) => task.lastStatus === 'STOPPED');
    expect(lost.stopCode).toBe('UserInitiated');
    expect(lost.stoppedReason).toMatch(/^task runner restarted: the task's process was lost/);
    expect(lost.containers![0]!.exitCode).toBeUndefined();
    // its process is ended (by up.sh stopping the dead runner's process group, or by the new runner):
    // gone, or a zombie until whatever adopted it reaps it
    const state = () => {
      try {
        return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${cliPid}/stat`, 'utf8'))?.[1];
      } catch {
        return 'gone';
      }
    };
    while (state() !== 'gone' && state() !== 'Z') await new Promise((resolve) => setTimeout(resolve, 100));
    const ran = await until(waiting.tasks![0]!.taskArn!, (task) => task.lastStatus === 'STOPPED');
    expect(ran.containers![0]!.exitCode).toBe(0);
  });
});
