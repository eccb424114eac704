import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { accessDeniedError, awsClientSettings, issuerRunTaskInput, type AwsConfig, type IssuerTaskTarget } from '../../lib/core/index.js';
import { ApiErrorCodes, ApiProblem } from './problem.js';

/** Starts one run of the issuer task (the API's only way to issue, renew or delete: it holds no ACM or key access itself). */
export interface TaskStarter {
  /** Returns the task's ARN. */
  start(command: readonly string[], name: string): Promise<string>;
}

/** ecs:RunTask with the renewal schedule's input (lib/core/api-config.ts), only the command differing. */
export class EcsTaskStarter implements TaskStarter {
  private readonly ecs: ECSClient;

  constructor(
    aws: AwsConfig,
    private readonly task: IssuerTaskTarget,
  ) {
    this.ecs = new ECSClient({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  async start(command: readonly string[], name: string): Promise<string> {
    const input = issuerRunTaskInput(this.task, command, `api:${name}`);
    let arn: string | undefined;
    let refused: string | undefined;
    try {
      const result = await this.ecs.send(new RunTaskCommand(input));
      arn = result.tasks?.[0]?.taskArn;
      refused = result.failures?.map((f) => `${f.arn ?? ''} ${f.reason ?? ''} ${f.detail ?? ''}`.trim()).join('; ');
    } catch (error) {
      const denied = accessDeniedError(error, {
        action: 'ecs:RunTask',
        resource: this.task.taskDefinition,
        during: `could not start the issuer task (${command.join(' ')})`,
        grantee: "the API function's role (granted by the stack in lib/constructs/api.ts)",
      });
      // The API's role, not the caller, was refused: the task was not started (502), the declaration stays.
      if (denied !== undefined) throw new ApiProblem(ApiErrorCodes.TASK_NOT_STARTED, denied.message, { hint: denied.hint ?? 'grant the API function role ecs:RunTask' });
      throw new ApiProblem(ApiErrorCodes.TASK_NOT_STARTED, `could not start the issuer task (${command.join(' ')}): ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, {
        hint: 'retry the request; the declaration is already stored, so the next scheduled renew also picks it up',
      });
    }
    if (arn === undefined) {
      throw new ApiProblem(ApiErrorCodes.TASK_NOT_STARTED, `ECS did not start the issuer task (${command.join(' ')}): ${refused || 'no task and no reason given'}`, {
        hint: 'retry the request; the declaration is already stored, so the next scheduled renew also picks it up',
      });
    }
    return arn;
  }
}
