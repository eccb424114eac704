// The template's policy statements with their intrinsic functions resolved to the local stack's
// physical resources, the way CloudFormation resolves them on deploy: Ref and Fn::GetAtt of the
// resources the policies name (the store bucket and key, the log groups, the export key, the
// HTTPS listener, the issuer's cluster, task definition and roles), the pseudo parameters, Fn::Join, Fn::Select, Fn::Split and Fn::Sub.
// Anything else is refused by name: a policy is never guessed.
import type { PolicyStatement, TemplatePolicies } from './iam-template.js';

/** What the local stack has where the deployed stack has its resources. */
export interface LocalResources {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly bucket: string;
  readonly keyArn: string;
  /** The export key (EXPORT_KMS_KEY_ID); undefined until a test makes one. */
  readonly exportKeyArn?: string | undefined;
  /** The HTTPS listener (HTTPS_LISTENER_ARN); undefined until a test makes one. */
  readonly httpsListenerArn?: string | undefined;
  /** The issuer's cluster and task definition bootstrap-ecs.ts registered (run/task.json); undefined until then. */
  readonly clusterArn?: string | undefined;
  readonly taskDefinitionArn?: string | undefined;
  /** The local role standing in for the issuer task role (bootstrap-iam.ts); undefined until it is made. */
  readonly taskRoleArn?: string | undefined;
}

/** Names standing in for the stack's log groups (nothing locally writes to CloudWatch Logs). */
export interface LocalLogGroups {
  readonly responderLogGroup: string;
  readonly issuerLogGroup: string;
  readonly apiLogGroup: string;
}

/** The local stack's log group names for a bucket: the same wherever a policy is resolved. */
export function localLogGroups(bucket: string): LocalLogGroups {
  return { responderLogGroup: `/local/${bucket}/responder`, issuerLogGroup: `/local/${bucket}/issuer`, apiLogGroup: `/local/${bucket}/api` };
}

type Attributes = Record<string, string>;

/**
 * Ref and GetAtt values of each logical resource the policies may name. A resource the local
 * stack has not made yet (the listener, the export key, the task definition before
 * bootstrap-ecs.ts) resolves to an ARN of that type that matches nothing real, so its statements
 * stay in the policy and allow nothing until it exists. The issuer's execution role has no local
 * counterpart at all (the task runner pulls no image and resolves the secrets itself), so it is
 * always such an ARN: only iam:PassRole names it, which moto does not check.
 */
export function physicalResources(policies: TemplatePolicies, local: LocalResources, names: LocalLogGroups): Record<string, Attributes> {
  const { region, account, partition } = local;
  const keyId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
  const logGroup = (name: string): Attributes => ({ Ref: name, Arn: `arn:${partition}:logs:${region}:${account}:log-group:${name}:*` });
  const key = (arn: string): Attributes => ({ Ref: keyId(arn), Arn: arn, KeyId: keyId(arn) });
  const byId: Record<string, Attributes> = {
    [policies.resources.bucket]: {
      Ref: local.bucket,
      Arn: `arn:${partition}:s3:::${local.bucket}`,
      DomainName: `${local.bucket}.s3.amazonaws.com`,
      RegionalDomainName: `${local.bucket}.s3.${region}.amazonaws.com`,
    },
    [policies.resources.key]: key(local.keyArn),
    [policies.resources.responderLogGroup]: logGroup(names.responderLogGroup),
    [policies.resources.issuerLogGroup]: logGroup(names.issuerLogGroup),
  };
  const role = (arn: string): Attributes => ({ Ref: arn.slice(arn.lastIndexOf('/') + 1), Arn: arn });
  const cluster = local.clusterArn ?? `arn:${partition}:ecs:${region}:${account}:cluster/not-created-yet`;
  byId[policies.resources.cluster] = { Ref: cluster.slice(cluster.lastIndexOf('/') + 1), Arn: cluster };
  const taskDefinition = local.taskDefinitionArn ?? `arn:${partition}:ecs:${region}:${account}:task-definition/not-created-yet:1`;
  byId[policies.resources.taskDefinition] = { Ref: taskDefinition, TaskDefinitionArn: taskDefinition };
  byId[policies.resources.taskRole] = role(local.taskRoleArn ?? `arn:${partition}:iam::${account}:role/not-created-yet-task-role`);
  byId[policies.resources.executionRole] = role(`arn:${partition}:iam::${account}:role/not-created-locally-execution-role`);
  if (policies.resources.apiLogGroup !== undefined) byId[policies.resources.apiLogGroup] = logGroup(names.apiLogGroup);
  if (policies.resources.exportKey !== undefined) {
    byId[policies.resources.exportKey] = key(local.exportKeyArn ?? `arn:${partition}:kms:${region}:${account}:key/not-created-yet`);
  }
  if (policies.resources.httpsListener !== undefined) {
    const arn = local.httpsListenerArn ?? `arn:${partition}:elasticloadbalancing:${region}:${account}:listener/app/not-created-yet/0000000000000000/0000000000000000`;
    byId[policies.resources.httpsListener] = { Ref: arn, ListenerArn: arn };
  }
  return byId;
}

export interface ResolveContext {
  readonly local: LocalResources;
  readonly resources: Record<string, Attributes>;
  readonly types: Readonly<Record<string, string>>;
}

function pseudo(name: string, local: LocalResources): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return local.region;
    case 'AWS::AccountId':
      return local.account;
    case 'AWS::Partition':
      return local.partition;
    case 'AWS::URLSuffix':
      return local.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    default:
      return undefined;
  }
}

function attribute(logicalId: string, name: string, context: ResolveContext): string {
  const value = context.resources[logicalId]?.[name];
  if (value === undefined) {
    const type = context.types[logicalId] ?? 'not in the template';
    throw new Error(`cannot resolve ${name === 'Ref' ? `Ref ${logicalId}` : `Fn::GetAtt ${logicalId}.${name}`} (${type}): the local stack has no such resource`);
  }
  return value;
}

/** One value of a policy with every intrinsic function replaced by what it stands for here. */
export function resolveValue(value: unknown, context: ResolveContext): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, context));
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
    const [fn] = keys as [string];
    const argument = object[fn];
    const text = (item: unknown): string => {
      const resolved = resolveValue(item, context);
      if (typeof resolved !== 'string') throw new Error(`${fn}: expected a string, got ${JSON.stringify(resolved)}`);
      return resolved;
    };
    switch (fn) {
      case 'Ref': {
        const name = String(argument);
        return pseudo(name, context.local) ?? attribute(name, 'Ref', context);
      }
      case 'Fn::GetAtt': {
        const [logicalId, name] = Array.isArray(argument) ? (argument as [string, string]) : (String(argument).split('.', 2) as [string, string]);
        return attribute(logicalId, name, context);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolveValue(parts, context) as unknown[]).map((part) => text(part)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        return (resolveValue(list, context) as unknown[])[Number(resolveValue(index, context))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return text(source).split(separator);
      }
      case 'Fn::Sub': {
        const [template, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
        return template.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
          if (name in variables) return text(variables[name]);
          const [logicalId, attr] = name.split('.', 2) as [string, string | undefined];
          return pseudo(name, context.local) ?? attribute(logicalId, attr ?? 'Ref', context);
        });
      }
      default:
        throw new Error(`cannot resolve ${fn}: not an intrinsic function an IAM policy of this stack uses`);
    }
  }
  return Object.fromEntries(keys.map((key) => [key, resolveValue(object[key], context)]));
}

/** A policy document with every statement resolved: what CloudFormation would attach to the role. */
export function resolvePolicy(statements: readonly PolicyStatement[], context: ResolveContext): { Version: '2012-10-17'; Statement: PolicyStatement[] } {
  return { Version: '2012-10-17', Statement: statements.map((statement) => resolveValue(statement, context) as PolicyStatement) };
}
