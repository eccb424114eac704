import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { issuerOverrides } from '../core/api-config.js';
import { ISSUER_CONTAINER_NAME } from './issuer-task.js';
import type { IssuerTask } from './issuer-task.js';

/** Twice a day (03:00 and 15:00); the flexible window spreads the actual start over the next hour. */
export const DEFAULT_RENEWAL_SCHEDULE = 'cron(0 3,15 * * ? *)';

export interface RenewalScheduleProps {
  readonly task: IssuerTask;
  /**
   * EventBridge Scheduler expression.
   * @default 'cron(0 3,15 * * ? *)' (twice a day)
   */
  readonly expression?: string;
  /**
   * Time zone of a cron expression.
   * @default 'UTC'
   */
  readonly timezone?: string;
  /**
   * Flexible window in minutes: Scheduler starts the task at a random moment inside it, which
   * spreads load on the CA (Let's Encrypt asks clients not to renew on the hour). 0 turns it off.
   * @default 60
   */
  readonly flexibleWindowMinutes?: number;
  /**
   * The command the task runs.
   * @default ['renew']
   */
  readonly command?: readonly string[];
  /**
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * Runs the issuer task on a schedule with EventBridge Scheduler, through a role that may start
 * only that task definition on that cluster and pass only its two roles.
 */
export class RenewalSchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RenewalScheduleProps) {
    super(scope, id);
    const window = props.flexibleWindowMinutes ?? 60;
    const problems: string[] = [];
    if (!Number.isInteger(window) || window < 0 || window > 1440) problems.push('flexibleWindowMinutes must be an integer from 0 to 1440');
    const command = props.command ?? ['renew'];
    if (command.length === 0) problems.push('command must not be empty');
    if (problems.length > 0) throw new Error(`RenewalSchedule: ${problems.join('; ')}`);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: starts the ACME issuer task',
    });
    props.task.grantRun(this.role);

    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `Runs the ACME issuer: ${command.join(' ')}`,
      scheduleExpression: props.expression ?? DEFAULT_RENEWAL_SCHEDULE,
      scheduleExpressionTimezone: props.timezone ?? 'UTC',
      state: props.enabled === false ? 'DISABLED' : 'ENABLED',
      flexibleTimeWindow: window > 0 ? { mode: 'FLEXIBLE', maximumWindowInMinutes: window } : { mode: 'OFF' },
      target: {
        arn: props.task.cluster.clusterArn,
        roleArn: this.role.roleArn,
        // For an ECS target, Scheduler passes Input to RunTask as its overrides: the same the API sends.
        input: JSON.stringify(issuerOverrides(ISSUER_CONTAINER_NAME, command)),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        ecsParameters: {
          taskDefinitionArn: props.task.taskDefinition.taskDefinitionArn,
          launchType: 'FARGATE',
          platformVersion: 'LATEST',
          taskCount: 1,
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: props.task.subnetIds,
              securityGroups: [props.task.securityGroup.securityGroupId],
              assignPublicIp: props.task.assignPublicIp ? 'ENABLED' : 'DISABLED',
            },
          },
        },
      },
    });
  }
}
