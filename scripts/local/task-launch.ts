// What ECS starts for a task: the container's command and environment from its task definition
// with the RunTask overrides applied, by ECS's rules: an override's command replaces the
// definition's; its environment variables are added to the definition's, replacing those of the
// same name; secrets (valueFrom) are resolved at start; the task role is the override's, else the
// definition's. Pure: the runner (task-runner.ts) fetches, resolves and spawns.
import type { ContainerDefinition, Task, TaskDefinition } from '@aws-sdk/client-ecs';

export interface TaskLaunch {
  readonly containerName: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** Variable name → Secrets Manager ARN or SSM parameter, resolved when the task starts. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly taskRoleArn: string | undefined;
}

/** Why a task cannot start, in ECS's words where ECS has them. */
export class TaskLaunchError extends Error {}

export function taskLaunch(task: Task, definition: TaskDefinition): TaskLaunch {
  const containers: ContainerDefinition[] = definition.containerDefinitions ?? [];
  // the local stack runs one process per task: the issuer's task definition has one container
  if (containers.length !== 1) throw new TaskLaunchError(`the local task runner runs task definitions of one container; ${definition.taskDefinitionArn} has ${containers.length}`);
  const container = containers[0]!;
  const overrides = task.overrides?.containerOverrides ?? [];
  const unknown = overrides.filter((override) => override.name !== container.name);
  if (unknown.length > 0) throw new TaskLaunchError(`ClientException: container override for ${unknown.map((o) => `"${o.name}"`).join(', ')}: the task definition has only "${container.name}"`);
  const override = overrides.find((o) => o.name === container.name);
  const command = override?.command !== undefined && override.command.length > 0 ? override.command : (container.command ?? []);
  if (command.length === 0) throw new TaskLaunchError(`container "${container.name}" has no command (neither the task definition nor the overrides give one)`);
  const environment: Record<string, string> = {};
  for (const pair of [...(container.environment ?? []), ...(override?.environment ?? [])]) if (pair.name !== undefined) environment[pair.name] = pair.value ?? '';
  const secrets: Record<string, string> = {};
  for (const secret of container.secrets ?? []) {
    if (secret.name === undefined || secret.valueFrom === undefined) continue; // ECS requires both
    if (secret.name in environment) throw new TaskLaunchError(`ClientException: "${secret.name}" is both an environment variable and a secret of container "${container.name}"`);
    secrets[secret.name] = secret.valueFrom;
  }
  return { containerName: container.name!, command, environment, secrets, taskRoleArn: task.overrides?.taskRoleArn ?? definition.taskRoleArn };
}
