// The issuer's outbound connections during the e2e runs, checked against the egress rules of the
// synthesized security group. moto does not enforce security groups, so a group that blocked the
// pre-flight (443 only, while the pre-flight GETs each name on 80) passed every local test and
// would have stopped every scheduled renewal on AWS. Each connection the CLI makes is recorded
// (connection-recorder.mjs), named by what it was for from the process's own environment (the
// CA, the AWS endpoint, the pre-flight's port), mapped to the port it has in production, and that
// port must be open in the template the stack deploys.
import { readFileSync } from 'node:fs';
import type { Env } from '../../lib/core/config.js';
import { caDirectories, type EgressPurpose } from '../../lib/core/network.js';
import { templatePolicies } from '../../scripts/local/iam-template.js';
import type { synthesize } from '../infra/synth.js';

export interface ConnectionRecord {
  readonly pid: number;
  readonly address: string;
  readonly port: number;
  readonly servername?: string;
  /** The error code when the connection did not open (refused, unreachable). */
  readonly failed?: string;
}

/** One CLI process: where its connections were recorded and the environment it ran with. */
export interface RecordedRun {
  readonly file: string;
  readonly env: Env;
  readonly args: readonly string[];
}

export interface EgressRuleInTemplate {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr: string;
}

/** What the deployed task gets: its security group's egress and the literal part of its environment. */
export interface DeployedTask {
  readonly egress: readonly EgressRuleInTemplate[];
  readonly env: Record<string, string>;
}

export function readRecords(file: string): ConnectionRecord[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // the process made no connection
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ConnectionRecord);
}

const portOf = (url: string) => {
  const parsed = new URL(url);
  return parsed.port !== '' ? Number(parsed.port) : parsed.protocol === 'http:' ? 80 : 443;
};

/** What a local connection was for, from the environment of the process that made it. */
export function purposeOf(port: number, env: Env): EgressPurpose | undefined {
  let caPorts: number[] = [];
  try {
    caPorts = caDirectories(env).map(portOf);
  } catch {
    // a test of a bad ACME_DIRECTORY: the CLI refuses it before connecting anywhere
  }
  // The directory's own endpoints (newNonce, orders...) are the CA too: locally pebble's port, also
  // when a test puts a proxy in front of the directory. Public CAs serve them all on 443.
  if (env['PEBBLE_PORT'] !== undefined) caPorts.push(Number(env['PEBBLE_PORT']));
  if (caPorts.includes(port)) return 'ca';
  if (env['AWS_ENDPOINT_URL'] !== undefined && portOf(env['AWS_ENDPOINT_URL']) === port) return 'aws-api';
  if (String(port) === (env['PREFLIGHT_HTTP_PORT'] ?? '80')) return 'preflight';
  return undefined;
}

/**
 * The port each purpose has in production, for the deployed task's environment. Written out here
 * rather than taken from lib/core/network.ts (which builds the group), so a wrong rule there fails:
 * AWS endpoints are https://SERVICE.REGION.amazonaws.com; the CA is wherever its directory URL
 * says; the pre-flight asks what the CA asks, http://NAME/ on port 80 (RFC 8555 §8.3), unless the
 * task is told another port.
 */
export function productionPorts(purpose: EgressPurpose, env: Record<string, string>): number[] {
  switch (purpose) {
    case 'aws-api':
      return [443];
    case 'ca':
      return caDirectories(env).map(portOf);
    case 'preflight':
      return [Number(env['PREFLIGHT_HTTP_PORT'] ?? 80)];
  }
}

/** The task's security group (the one `run-task` and the schedule pass) and its literal environment, from a template. */
export function deployedTask(json: ReturnType<typeof synthesize>['json']): DeployedTask {
  const groupRef = (json.Outputs?.['TaskSecurityGroupId']?.Value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  if (groupRef === undefined) throw new Error('the template has no TaskSecurityGroupId output naming the task security group');
  const group = json.Resources[groupRef];
  const standalone = Object.values(json.Resources)
    .filter((resource) => resource.Type === 'AWS::EC2::SecurityGroupEgress' && resource.Properties?.GroupId?.['Fn::GetAtt']?.[0] === groupRef)
    .map((resource) => resource.Properties);
  const egress = [...((group?.Properties?.SecurityGroupEgress as any[]) ?? []), ...standalone].map((rule) => ({
    protocol: String(rule.IpProtocol),
    fromPort: Number(rule.FromPort ?? 0),
    toPort: Number(rule.ToPort ?? 65535),
    cidr: String(rule.CidrIp ?? rule.CidrIpv6 ?? rule.DestinationSecurityGroupId ?? ''),
  }));
  const task = Object.values(json.Resources).find((resource) => resource.Type === 'AWS::ECS::TaskDefinition');
  const container = (task?.Properties?.ContainerDefinitions as any[] | undefined)?.[0];
  const env = Object.fromEntries(((container?.Environment as { Name: string; Value: unknown }[] | undefined) ?? []).filter((entry) => typeof entry.Value === 'string').map((entry) => [entry.Name, entry.Value as string]));
  return { egress, env };
}

/** The CA, the AWS APIs and every name's challenge URL are public: a rule must allow the whole internet. */
function allows(rule: EgressRuleInTemplate, port: number): boolean {
  return (rule.protocol === 'tcp' || rule.protocol === '-1') && rule.fromPort <= port && port <= rule.toPort && (rule.cidr === '0.0.0.0/0' || rule.cidr === '::/0');
}

/** Every recorded connection the deployed task's egress would drop, or that has no known purpose, as sentences (one per kind). */
export function egressViolations(runs: readonly RecordedRun[], task: DeployedTask): string[] {
  const problems = new Map<string, { example: string; count: number }>();
  const add = (kind: string, example: string) => {
    const seen = problems.get(kind);
    problems.set(kind, { example: seen?.example ?? example, count: (seen?.count ?? 0) + 1 });
  };
  const egress = task.egress.map((rule) => `${rule.protocol} ${rule.fromPort}-${rule.toPort} to ${rule.cidr}`).join(', ') || 'none';
  for (const run of runs) {
    for (const record of readRecords(run.file)) {
      const purpose = purposeOf(record.port, run.env);
      const example = `\`${run.args.join(' ')}\` connected to ${record.address}:${record.port}`;
      if (purpose === undefined) {
        add(`unknown ${record.port}`, `${example}, which is neither the CA, the AWS endpoint nor the pre-flight's port: give it a purpose in lib/core/network.ts (and the security group a rule) or stop making it`);
        continue;
      }
      for (const port of productionPorts(purpose, task.env)) {
        if (!task.egress.some((rule) => allows(rule, port))) {
          add(`${purpose} ${port}`, `${purpose}: on AWS port ${port}, and the task's security group allows no TCP egress to it (egress: ${egress}); e.g. ${example}`);
        }
      }
    }
  }
  return [...problems.values()].map(({ example, count }) => (count > 1 ? `${example} (and ${count - 1} more)` : example));
}

/**
 * The deployed task for a DEPLOY_* configuration, from the template the local roles are made from
 * (scripts/local/iam-template.ts synthesizes it once per configuration and keeps it on disk).
 */
export async function deployedTaskFor(deployEnv: Env): Promise<DeployedTask> {
  const { templateFile } = await templatePolicies(deployEnv as Record<string, string>);
  return deployedTask(JSON.parse(readFileSync(templateFile, 'utf8')) as ReturnType<typeof synthesize>['json']);
}
