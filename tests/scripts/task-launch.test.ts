// ECS's rules for what a task's container starts with (scripts/local/task-launch.ts), as table tests
// on the shapes DescribeTasks and DescribeTaskDefinition return.
import type { Task, TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { taskLaunch } from '../../scripts/local/task-launch.js';

const definition: TaskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/issuer:1',
  taskRoleArn: 'arn:aws:iam::123456789012:role/task',
  containerDefinitions: [
    {
      name: 'issuer',
      command: ['renew'],
      environment: [
        { name: 'CERT_BUCKET', value: 'b' },
        { name: 'ACME_POLL_MIN_MS', value: '2000' },
      ],
      secrets: [{ name: 'ACME_EAB_HMAC_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:eab-AbCdEf' }],
    },
  ],
};
const task = (overrides?: Task['overrides']): Task => ({ taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/1', overrides });

describe('taskLaunch', () => {
  it("runs the definition's command and environment without overrides", () => {
    expect(taskLaunch(task(), definition)).toEqual({
      containerName: 'issuer',
      command: ['renew'],
      environment: { CERT_BUCKET: 'b', ACME_POLL_MIN_MS: '2000' },
      secrets: { ACME_EAB_HMAC_KEY: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:eab-AbCdEf' },
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
    });
  });

  it("replaces the command, adds and replaces variables, and takes the override's task role", () => {
    const launch = taskLaunch(
      task({
        taskRoleArn: 'arn:aws:iam::123456789012:role/other',
        containerOverrides: [
          {
            name: 'issuer',
            command: ['issue', '--name', 'x'],
            environment: [
              { name: 'ACME_POLL_MIN_MS', value: '50' },
              { name: 'NEW', value: '1' },
            ],
          },
        ],
      }),
      definition,
    );
    expect(launch.command).toEqual(['issue', '--name', 'x']);
    expect(launch.environment).toEqual({ CERT_BUCKET: 'b', ACME_POLL_MIN_MS: '50', NEW: '1' });
    expect(launch.taskRoleArn).toBe('arn:aws:iam::123456789012:role/other');
  });

  it.each([
    ['an override for a container the definition lacks', task({ containerOverrides: [{ name: 'web', command: ['x'] }] }), definition, /container override for "web"/],
    ['no command anywhere', task(), { ...definition, containerDefinitions: [{ ...definition.containerDefinitions![0]!, command: undefined }] }, /has no command/],
    ['two containers', task(), { ...definition, containerDefinitions: [definition.containerDefinitions![0]!, { name: 'sidecar' }] }, /runs task definitions of one container/],
    [
      'a variable that is also a secret',
      task({ containerOverrides: [{ name: 'issuer', environment: [{ name: 'ACME_EAB_HMAC_KEY', value: 'x' }] }] }),
      definition,
      /"ACME_EAB_HMAC_KEY" is both an environment variable and a secret/,
    ],
  ])('refuses %s, saying what is wrong', (_what, given, def, message) => {
    expect(() => taskLaunch(given, def)).toThrow(message);
  });
});
