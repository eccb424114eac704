// The issuer's ECS cluster and task definition in the local AWS endpoint, as the synthesized
// template has them (task-definition.ts reads them from it), in moto's default VPC with its
// default security group standing in for the stack's subnets and group. Writes what `just
// run-task --local`, `just schedule-fire` and the task runner need to run-task.json's
// counterpart, LOCAL_STATE_DIR/run/task.json (on AWS: the stack's outputs). Runs after
// bootstrap-aws.ts and, with IAM enforced, bootstrap-iam.ts roles. Registering again makes a new
// revision, as a deploy does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigReader } from '../../lib/core/config-reader.js';
import { readAwsConfig, readBucket } from '../../lib/core/config.js';
import { ROLE_NAMES, runDir } from './bootstrap-iam.js';
import { templatePolicies, type TemplatePolicies } from './iam-template.js';
import { localTaskDefinition, scheduleTarget, templateCluster, type LocalTask } from './task-definition.js';

const reader = new ConfigReader(process.env);
const aws = readAwsConfig(reader);
const bucket = readBucket(reader);
reader.done(undefined);
if (aws.endpointUrl === undefined) {
  console.error('AWS_ENDPOINT_URL is empty: refusing to register task definitions in real AWS (the CDK stack does that)');
  process.exit(2);
}
const keyArn = process.env.CERT_KMS_KEY_ID;
if (!keyArn) throw new Error('CERT_KMS_KEY_ID (from run/aws.env, made by bootstrap-aws.ts) must be set');

/** The same template the roles' policies come from (bootstrap-iam.ts): LOCAL_IAM_POLICIES, else synthesized from DEPLOY_*. */
async function policies(): Promise<TemplatePolicies> {
  const given = process.env.LOCAL_IAM_POLICIES;
  if (given !== undefined && given !== '') return JSON.parse(readFileSync(given, 'utf8')) as TemplatePolicies;
  const deploy = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('DEPLOY_') && entry[1] !== undefined && entry[1] !== ''));
  return templatePolicies(deploy);
}

const settings = { region: aws.region, endpoint: aws.endpointUrl };
const template = await policies();
const identity = await new STSClient(settings).send(new GetCallerIdentityCommand({}));
const partition = identity.Arn!.split(':')[1]!;
const local = { region: aws.region, account: identity.Account!, partition, bucket, keyArn };

const ecs = new ECSClient(settings);
const cluster = templateCluster(template);
const created = await ecs.send(new CreateClusterCommand({ clusterName: cluster.logicalId }));
const taskRoleArn = `arn:${partition}:iam::${local.account}:role/${ROLE_NAMES.issuer}`;
const definition = localTaskDefinition(template, local, process.env, taskRoleArn);
const registered = await ecs.send(new RegisterTaskDefinitionCommand(definition));

const ec2 = new EC2Client(settings);
const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }))).Vpcs?.[0]?.VpcId;
if (vpc === undefined) throw new Error('the local AWS endpoint has no default VPC to run the task in');
const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Subnets!.map((s) => s.SubnetId!).sort();
const groups = (
  await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpc] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  )
).SecurityGroups!.map((g) => g.GroupId!);

const task: LocalTask = {
  clusterName: cluster.logicalId,
  clusterArn: created.cluster!.clusterArn!,
  taskDefinitionArn: registered.taskDefinition!.taskDefinitionArn!,
  containerName: definition.containerDefinitions![0]!.name!,
  subnets: subnets.slice(0, 2),
  securityGroups: groups,
  assignPublicIp: cluster.assignPublicIp,
  schedule: scheduleTarget(template),
};
writeFileSync(join(runDir(process.env), 'task.json'), JSON.stringify(task, null, 1));
console.error(`ok   cluster ${task.clusterName}, task definition ${task.taskDefinitionArn} (from ${template.templateFile})`);
