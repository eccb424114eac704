// `just run-task --local` and `just schedule-fire`: an ECS RunTask of the issuer task on the
// local stack, as `just run-task` sends it on AWS (the cluster, task definition, container and
// network from run/task.json instead of the stack's outputs) or, with --schedule, exactly the
// RunTask the renewal schedule's target makes (its Input as the overrides, its launch type and
// count, from the template). The task runner runs it; this waits for it to stop, prints its
// output and its exit code, and exits 0 only when every task exited 0.
// Usage: run-task.ts [--] [COMMAND ARGS...]   (default: renew)
//        run-task.ts --schedule
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTasksCommand, ECSClient, RunTaskCommand, type Task, type TaskOverride } from '@aws-sdk/client-ecs';
import { ConfigReader } from '../../lib/core/config-reader.js';
import { readAwsConfig } from '../../lib/core/config.js';
import type { LocalTask } from './task-definition.js';

/** `aws ecs wait tasks-stopped` gives up after 10 minutes; so does this. */
const WAIT_MS = 600_000;

const reader = new ConfigReader(process.env);
const aws = readAwsConfig(reader);
reader.done(undefined);
if (aws.endpointUrl === undefined) {
  console.error('AWS_ENDPOINT_URL is empty: `just run-task --local` runs the task on the local stack (`just up`); on AWS use `just run-task` without --local');
  process.exit(2);
}
const runDir = join(process.env.LOCAL_STATE_DIR ?? '.local', 'run');
let local: LocalTask;
try {
  local = JSON.parse(readFileSync(join(runDir, 'task.json'), 'utf8')) as LocalTask;
} catch {
  console.error(`no ${join(runDir, 'task.json')}: the local stack is not up (run \`just up\`)`);
  process.exit(2);
}

let args = process.argv.slice(2);
const schedule = args[0] === '--schedule';
if (schedule && args.length > 1) {
  console.error("--schedule sends the schedule target's own command; give no command with it");
  process.exit(2);
}
if (args[0] === '--') args = args.slice(1);
if (args.length === 0) args = ['renew'];
const overrides: TaskOverride = schedule ? local.schedule.overrides : { containerOverrides: [{ name: local.containerName, command: args }] };

const ecs = new ECSClient({ region: aws.region, endpoint: aws.endpointUrl });
const started = await ecs.send(
  new RunTaskCommand({
    cluster: local.clusterName,
    taskDefinition: local.taskDefinitionArn,
    launchType: (schedule ? local.schedule.launchType : 'FARGATE') as 'FARGATE',
    count: schedule ? local.schedule.taskCount : 1,
    networkConfiguration: { awsvpcConfiguration: { subnets: [...local.subnets], securityGroups: [...local.securityGroups], assignPublicIp: local.assignPublicIp } },
    overrides,
  }),
);
const arns = (started.tasks ?? []).map((task) => task.taskArn!);
if (arns.length === 0) {
  console.error(`RunTask started no task: ${JSON.stringify(started.failures ?? [])}`);
  process.exit(1);
}
const what = schedule ? `the renewal schedule's target (${JSON.stringify(overrides)})` : args.join(' ');
for (const arn of arns) console.log(`started ${arn}: ${what}`);
console.log('waiting for it to stop (the local task runner runs it; `just status` shows the runner)...');

const deadline = Date.now() + WAIT_MS;
let tasks: Task[] = [];
for (;;) {
  tasks = (await ecs.send(new DescribeTasksCommand({ cluster: local.clusterName, tasks: arns }))).tasks ?? [];
  if (tasks.length === arns.length && tasks.every((task) => task.lastStatus === 'STOPPED')) break;
  if (Date.now() > deadline) {
    console.error(
      `still ${tasks.map((task) => task.lastStatus).join(', ')} after ${WAIT_MS / 60_000} minutes: is the task runner up? (\`just status\`; its log: ${join(process.env.LOCAL_STATE_DIR ?? '.local', 'logs', 'task-runner.log')})`,
    );
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}

let failed = 0;
for (const task of tasks) {
  const id = task.taskArn!.slice(task.taskArn!.lastIndexOf('/') + 1);
  try {
    process.stdout.write(readFileSync(join(process.env.LOCAL_STATE_DIR ?? '.local', 'logs', 'tasks', `${id}.log`), 'utf8'));
  } catch {
    // a task that never started has no output
  }
  const container = task.containers?.[0];
  const code = container?.exitCode;
  console.log(`exit code: ${code ?? 'none'} (${task.stopCode ?? '-'}: ${task.stoppedReason ?? '-'}${container?.reason ? `; ${container.reason}` : ''})`);
  if (code !== 0) failed = typeof code === 'number' && code > 0 ? code : 1;
}
process.exit(failed);
