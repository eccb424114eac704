// The local stack's ECS agent: takes the tasks moto records for RunTask on the local cluster
// (run/task.json, written by bootstrap-ecs.ts) and runs each as ECS would run the issuer's
// container: the real issuer CLI (node --import tsx container/cli.ts on the image's Node 22) with
// the task's command and environment (task-launch.ts), its secrets resolved, as the task role
// (an STS session of the task definition's role when moto enforces IAM). It reports each task
// through ECS's agent API, SubmitTaskStateChange (moto-server.py): RUNNING when the process
// starts, STOPPED with its exit code when it ends. Each task is a process of its own, so tasks
// run side by side. A StopTask (desiredStatus STOPPED) of a running task sends its process
// SIGTERM, as ECS does.
//
// A task this runner finds RUNNING when it starts was started by a runner that is gone: its
// result is lost. It is stopped (StopTask, reason "task runner restarted: ..."), its process
// killed if it is still there, and reported STOPPED without an exit code, as ECS reports a task
// whose host was lost; `just run-task` then fails with that reason instead of waiting forever.
//
// Output of each task: LOCAL_STATE_DIR/logs/tasks/TASK_ID.log (on AWS: the awslogs stream
// issuer/issuer/TASK_ID).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand, SubmitTaskStateChangeCommand, type Task, type TaskDefinition } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigReader } from '../../lib/core/config-reader.js';
import { readAwsConfig } from '../../lib/core/config.js';
import { runtimePaths } from './runtimes.mjs';
import { taskLaunch, TaskLaunchError, type TaskLaunch } from './task-launch.js';
import type { LocalTask } from './task-definition.js';

const REPO = resolve(import.meta.dirname, '..', '..');
/** How long a lost task's process gets between SIGTERM and SIGKILL, and a stopped task's too (ECS's stopTimeout default). */
const STOP_TIMEOUT_MS = 30_000;

const reader = new ConfigReader(process.env);
const aws = readAwsConfig(reader);
const pollMs = reader.integer('TASK_RUNNER_POLL_MS', { default: 500, min: 50, max: 60_000 });
const enforce = reader.boolean('LOCAL_IAM_ENFORCE', false);
reader.done(undefined);
if (aws.endpointUrl === undefined) {
  console.error('AWS_ENDPOINT_URL is empty: the local task runner only runs tasks of the local stack');
  process.exit(2);
}
const stateDir = resolve(REPO, process.env.LOCAL_STATE_DIR ?? '.local');
const runDir = join(stateDir, 'run');
const taskLogDir = join(stateDir, 'logs', 'tasks');
const pidDir = join(runDir, 'tasks');
mkdirSync(taskLogDir, { recursive: true });
mkdirSync(pidDir, { recursive: true });
const local = JSON.parse(readFileSync(join(runDir, 'task.json'), 'utf8')) as LocalTask;
const settings = { region: aws.region, endpoint: aws.endpointUrl };
const ecs = new ECSClient(settings);
const node = runtimePaths().image.node;

function log(message: string): void {
  console.error(`${new Date().toISOString()} ${message}`);
}

const idOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** Tasks this runner started, by ARN, until their STOPPED is reported. */
const running = new Map<string, { child: ChildProcess; containerName: string; terminating: boolean }>();
/** Tasks being started (between seeing them and the process being spawned). */
const starting = new Set<string>();

async function stopped(taskArn: string, containers: { containerName: string; exitCode?: number; reason?: string }[], reason?: string): Promise<void> {
  await ecs.send(new SubmitTaskStateChangeCommand({ cluster: local.clusterName, task: taskArn, status: 'STOPPED', containers: containers.map((c) => ({ ...c, status: 'STOPPED' })), reason }));
}

async function resolveSecrets(secrets: TaskLaunch['secrets']): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const [name, valueFrom] of Object.entries(secrets)) {
    if (valueFrom.startsWith('arn:') && valueFrom.split(':')[2] === 'secretsmanager') {
      // arn:…:secret:NAME-abcdef[:json-key[:version-stage[:version-id]]]
      const parts = valueFrom.split(':');
      const secretId = parts.slice(0, 7).join(':');
      const [jsonKey, versionStage, versionId] = parts.slice(7);
      const secret = await new SecretsManagerClient(settings).send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage || undefined, VersionId: versionId || undefined }));
      const text = secret.SecretString ?? '';
      if (jsonKey) {
        const field = (JSON.parse(text) as Record<string, unknown>)[jsonKey];
        // ECS injects a JSON key's value as it is: a string, or the JSON of anything else
        values[name] = typeof field === 'string' ? field : JSON.stringify(field ?? '');
      } else values[name] = text;
    } else {
      const parameter = await new SSMClient(settings).send(
        new GetParameterCommand({ Name: valueFrom.includes(':parameter') ? valueFrom.slice(valueFrom.indexOf(':parameter') + ':parameter'.length) : valueFrom, WithDecryption: true }),
      );
      values[name] = parameter.Parameter?.Value ?? '';
    }
  }
  return values;
}

/** The task role's session (moto enforcing IAM), else the runner's own keys, which moto does not check. */
async function credentials(taskRoleArn: string | undefined, taskId: string): Promise<Record<string, string>> {
  if (!enforce) return { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing', AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing', AWS_SESSION_TOKEN: '' };
  if (taskRoleArn === undefined) throw new TaskLaunchError('the task definition has no task role, and moto enforces IAM: the task would have no credentials');
  const session = await new STSClient(settings).send(new AssumeRoleCommand({ RoleArn: taskRoleArn, RoleSessionName: `task-${taskId}`, DurationSeconds: 43_200 }));
  const c = session.Credentials!;
  return { AWS_ACCESS_KEY_ID: c.AccessKeyId!, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey!, AWS_SESSION_TOKEN: c.SessionToken! };
}

async function start(task: Task): Promise<void> {
  const taskArn = task.taskArn!;
  const taskId = idOf(taskArn);
  let launch: TaskLaunch;
  let env: Record<string, string>;
  try {
    const definition: TaskDefinition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }))).taskDefinition!;
    launch = taskLaunch(task, definition);
    const secrets = await resolveSecrets(launch.secrets).catch((error: unknown) => {
      throw new TaskLaunchError(`ResourceInitializationError: unable to pull secrets: ${error instanceof Error ? error.message : String(error)}`);
    });
    // Only what ECS gives a container: its environment, secrets and role, and the image's PATH and HOME.
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...launch.environment, ...secrets, ...(await credentials(launch.taskRoleArn, taskId)) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`task ${taskId} cannot start: ${reason}`);
    await stopped(taskArn, [], reason);
    return;
  }
  const out = openSync(join(taskLogDir, `${taskId}.log`), 'a');
  const child = spawn(node, ['--import', 'tsx', 'container/cli.ts', ...launch.command], { cwd: REPO, env, stdio: ['ignore', out, out] });
  closeSync(out);
  running.set(taskArn, { child, containerName: launch.containerName, terminating: false });
  if (child.pid !== undefined) writeFileSync(join(pidDir, `${taskId}.pid`), String(child.pid));
  log(`task ${taskId} started (pid ${child.pid ?? '-'}): ${launch.command.join(' ')}`);
  await ecs.send(new SubmitTaskStateChangeCommand({ cluster: local.clusterName, task: taskArn, status: 'RUNNING', containers: [{ containerName: launch.containerName, status: 'RUNNING' }] }));
  child.on('error', (error) => log(`task ${taskId}: ${error.message}`));
  child.on('close', (code, signal) => {
    // a process killed by a signal exits 128 + its number, as the container runtime reports it
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    log(`task ${taskId} exited ${exitCode}`);
    rmSync(join(pidDir, `${taskId}.pid`), { force: true });
    stopped(taskArn, [{ containerName: launch.containerName, exitCode }])
      .catch((error: unknown) => log(`task ${taskId}: could not report STOPPED: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => running.delete(taskArn));
  });
}

/** A task a runner before this one started: its process is killed if it is still there, and the task stopped with the reason. */
async function stopLost(task: Task): Promise<void> {
  const taskArn = task.taskArn!;
  const taskId = idOf(taskArn);
  const pidFile = join(pidDir, `${taskId}.pid`);
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(pidFile, 'utf8'));
    // only our CLI: a pid file outlives its process, and the number may be another's by now
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('container/cli.ts')) pid = undefined;
  } catch {
    pid = undefined;
  }
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  const reason = `task runner restarted: the task's process was lost${pid === undefined ? '' : ` (pid ${pid} killed)`}; its result is unknown, run it again`;
  log(`task ${taskId}: ${reason}`);
  await ecs.send(new StopTaskCommand({ cluster: local.clusterName, task: taskArn, reason }));
  await stopped(
    taskArn,
    (task.containers ?? []).map((c) => ({ containerName: c.name!, reason })),
    reason,
  );
}

async function tasksToLookAt(firstPoll: boolean): Promise<Task[]> {
  const arns: string[] = [];
  // at the first poll also the stopped ones: a StopTask while no runner ran leaves a task STOPPING
  for (const desiredStatus of firstPoll ? (['RUNNING', 'STOPPED'] as const) : (['RUNNING'] as const)) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListTasksCommand({ cluster: local.clusterName, desiredStatus, nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
  }
  // the ones stopped by StopTask while running (desiredStatus STOPPED) are ours to end
  const all = [...new Set([...arns, ...running.keys()])].filter((arn) => !starting.has(arn));
  const tasks: Task[] = [];
  for (let i = 0; i < all.length; i += 100) {
    tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster: local.clusterName, tasks: all.slice(i, i + 100) }))).tasks ?? []));
  }
  return tasks;
}

async function poll(firstPoll: boolean): Promise<void> {
  for (const task of await tasksToLookAt(firstPoll)) {
    const arn = task.taskArn!;
    const ours = running.get(arn);
    if (ours !== undefined) {
      if (task.desiredStatus === 'STOPPED' && !ours.terminating) {
        ours.terminating = true;
        log(`task ${idOf(arn)}: stop requested (${task.stoppedReason ?? 'StopTask'}), SIGTERM`);
        ours.child.kill('SIGTERM');
        setTimeout(() => ours.child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
      }
    } else if (task.desiredStatus === 'RUNNING' && (task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING')) {
      starting.add(arn);
      start(task)
        .catch((error: unknown) => log(`task ${idOf(arn)}: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => starting.delete(arn));
    } else if (firstPoll && (task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPING')) {
      await stopLost(task);
    }
  }
}

let first = true;
for (;;) {
  try {
    await poll(first);
    first = false;
    // what `just status` reads: the runner is polling
    writeFileSync(join(runDir, 'task-runner.heartbeat'), new Date().toISOString());
  } catch (error) {
    log(`poll failed (retrying): ${error instanceof Error ? error.message : String(error)}`);
  }
  await new Promise((resolveSleep) => setTimeout(resolveSleep, pollMs));
}
