// The issuer's ECS task as the synthesized template defines it, made real in the local stack:
// the task definition (container name, command, environment, secrets, roles) and the renewal
// schedule's RunTask target (its Input, launch type, count), read from the template `just synth`
// would deploy for the DEPLOY_* variables (scripts/local/iam-template.ts synthesizes and caches
// it), never copied.
//
// Values: an environment variable the local stack sets itself (its .env: pebble's directory,
// moto's bucket and key, CERTIFICATES, ...) has its local value, as `just issuer` runs with; any
// other keeps the template's value with Ref/GetAtt resolved to the local resources (the
// resolver of the roles' policies, iam-policy.ts). A template variable naming a resource the
// local stack lacks (ALB_DNS_NAME: there is no ALB here) is left out. The local stack's platform
// (the AWS endpoint, the CA's TLS root, the pre-flight's port and DNS server, which a Fargate task
// gets from its VPC and image) is added as variables of the task definition, so DescribeTaskDefinition
// shows everything the task runs with.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, TaskOverride } from '@aws-sdk/client-ecs';
import { isSecretVariable, type Env } from '../../lib/core/config-reader.js';
import { parseIssuerConfig } from '../../lib/core/config.js';
import { parsePreflightConfig } from '../../lib/core/preflight-config.js';
import { localLogGroups, physicalResources, resolveValue, type LocalResources, type ResolveContext } from './iam-policy.js';
import type { TemplatePolicies } from './iam-template.js';

const REPO = resolve(import.meta.dirname, '..', '..');

/** What a Fargate task gets from where it runs rather than from its task definition; here the local stack's values. */
export const LOCAL_PLATFORM_VARIABLES = ['AWS_ENDPOINT_URL', 'ACME_TLS_CA_FILE', 'PREFLIGHT_HTTP_PORT', 'PREFLIGHT_DNS_SERVER', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] as const;

type Resource = { Type: string; Properties?: Record<string, unknown> };
interface Template {
  Resources: Record<string, Resource>;
}

/** The schedule's RunTask: what EventBridge Scheduler passes to ECS for it. */
export interface ScheduleTarget {
  /** Target.Input: for an ECS target, RunTask's `overrides`. */
  readonly overrides: TaskOverride;
  readonly launchType: string;
  readonly taskCount: number;
}

/** Everything bootstrap-aws.ts registers and run-task.ts sends: written to run/task.json. */
export interface LocalTask {
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  readonly schedule: ScheduleTarget;
}

function readTemplate(policies: TemplatePolicies): Template {
  return JSON.parse(readFileSync(policies.templateFile, 'utf8')) as Template;
}

function one(template: Template, type: string): [string, Record<string, unknown>] {
  const found = Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
  if (found.length !== 1) throw new Error(`the synthesized template has ${found.length} ${type} resources; the local stack stands in for exactly one`);
  return [found[0]![0], found[0]![1].Properties ?? {}];
}

/** Every variable the issuer's configuration reads (its two parsers, run on `env` with each read recorded). */
export function issuerVariables(env: Env): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  for (const parse of [parseIssuerConfig, parsePreflightConfig]) {
    try {
      parse(recording);
    } catch {
      // a wrong value is the CLI's to report, with its variable's name, when the task runs
    }
  }
  return read;
}

/** The context that resolves the template's intrinsics to the local resources. */
function resolveContext(policies: TemplatePolicies, local: LocalResources): ResolveContext {
  return { local, resources: physicalResources(policies, local, localLogGroups(local.bucket)), types: policies.types };
}

function resolvedOrUndefined(value: unknown, context: ResolveContext): string | undefined {
  try {
    const resolved = resolveValue(value, context);
    return typeof resolved === 'string' ? resolved : undefined;
  } catch {
    return undefined; // names a resource the local stack does not have
  }
}

/**
 * RegisterTaskDefinition's input for the template's issuer task definition in the local stack.
 * `taskRoleArn` is the local task role (bootstrap-iam.ts), which stands for the template's.
 */
export function localTaskDefinition(policies: TemplatePolicies, local: LocalResources, env: Env, taskRoleArn: string): RegisterTaskDefinitionCommandInput {
  const [, properties] = one(readTemplate(policies), 'AWS::ECS::TaskDefinition');
  const context = resolveContext(policies, local);
  const containers = properties.ContainerDefinitions as Record<string, unknown>[];
  const localValue = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    // a relative path is the checkout's (just runs from it); the task may run anywhere
    return name === 'ACME_TLS_CA_FILE' && !isAbsolute(value) ? resolve(REPO, value) : value;
  };
  const containerDefinitions: ContainerDefinition[] = containers.map((container) => {
    const environment = new Map<string, string>();
    for (const { Name, Value } of (container.Environment as { Name: string; Value: unknown }[] | undefined) ?? []) {
      const value = localValue(Name) ?? resolvedOrUndefined(Value, context);
      if (value !== undefined) environment.set(Name, value);
    }
    // what the local stack configures beyond the template (a secret never: ECS injects those)
    for (const name of [...issuerVariables(env), ...LOCAL_PLATFORM_VARIABLES]) {
      const value = localValue(name);
      if (value !== undefined && !isSecretVariable(name) && !environment.has(name)) environment.set(name, value);
    }
    const secrets = (container.Secrets as { Name: string; ValueFrom: unknown }[] | undefined)?.map(({ Name, ValueFrom }) => ({ name: Name, valueFrom: String(resolveValue(ValueFrom, context)) }));
    return {
      name: String(container.Name),
      image: 'local: node --import tsx container/cli.ts (scripts/local/task-runner.ts)',
      essential: container.Essential !== false,
      command: container.Command as string[] | undefined,
      environment: [...environment].map(([name, value]) => ({ name, value })),
      ...(secrets ? { secrets } : {}),
    };
  });
  return {
    family: String(properties.Family),
    networkMode: properties.NetworkMode as RegisterTaskDefinitionCommandInput['networkMode'],
    requiresCompatibilities: properties.RequiresCompatibilities as RegisterTaskDefinitionCommandInput['requiresCompatibilities'],
    cpu: String(properties.Cpu),
    memory: String(properties.Memory),
    taskRoleArn,
    containerDefinitions,
  };
}

/** The renewal schedule's RunTask target, as Scheduler would send it. */
export function scheduleTarget(policies: TemplatePolicies): ScheduleTarget {
  const [, properties] = one(readTemplate(policies), 'AWS::Scheduler::Schedule');
  const target = properties.Target as { Input: string; EcsParameters: { LaunchType?: string; TaskCount?: number } };
  return { overrides: JSON.parse(target.Input) as TaskOverride, launchType: target.EcsParameters.LaunchType ?? 'FARGATE', taskCount: target.EcsParameters.TaskCount ?? 1 };
}

/** The template's cluster (its logical id names the local one) and whether the task gets a public IP. */
export function templateCluster(policies: TemplatePolicies): { logicalId: string; assignPublicIp: 'ENABLED' | 'DISABLED' } {
  const template = readTemplate(policies);
  const [logicalId] = one(template, 'AWS::ECS::Cluster');
  const [, schedule] = one(template, 'AWS::Scheduler::Schedule');
  const network = (schedule.Target as { EcsParameters: { NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp?: string } } } }).EcsParameters.NetworkConfiguration.AwsvpcConfiguration;
  return { logicalId, assignPublicIp: network.AssignPublicIp === 'DISABLED' ? 'DISABLED' : 'ENABLED' };
}
