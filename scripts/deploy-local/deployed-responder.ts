// The responder as the stack deployed it, read back from the services rather than from our
// source: its code is the asset object the CLI published into the bootstrap bucket (the key that
// Lambda's GetFunction names, which must be one of the stack's file assets, and whose SHA-256 must
// be the CodeSha256 Lambda reports), and its handler, runtime and environment come from
// GetFunction. moto 5.2.1 keeps no LoggingConfig (and reports every function as x86_64), so the
// log format falls back to the template CloudFormation holds for the stack (GetTemplate).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStackResourcesCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { logicalIdAt, resolvePlaceholders, type StackAssembly, type StackTemplate } from './assembly.js';

const run = promisify(execFile);

/** Where CDK puts the responder's function and target group (lib/constructs/challenge-responder.ts). */
const FUNCTION_PATH = 'Responder/Function/Resource';
const TARGET_GROUP_PATH = 'Responder/Target/Resource';

export interface DeployedResponder {
  readonly functionName: string;
  readonly handler: string;
  readonly runtime: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number | undefined;
  readonly timeoutSeconds: number | undefined;
  /** `Text` or `JSON`, and where it was read. */
  readonly logFormat: string;
  readonly logFormatFrom: 'GetFunction' | 'the deployed template';
  readonly targetGroupArn: string;
  /** s3://bucket/key of the code Lambda holds. */
  readonly codeObject: string;
  readonly codeSha256: string;
  /** The unpacked code (index.mjs). */
  readonly codeDir: string;
}

export interface Clients {
  readonly cloudformation: CloudFormationClient;
  readonly lambda: LambdaClient;
  readonly s3: S3Client;
}

/**
 * The physical ids of the stack's resources by logical id. DescribeStackResources, not the singular
 * DescribeStackResource: moto 5.2.1 answers that one 500 once the stack holds a resource type it
 * skipped (it keeps those as empty entries, and reads a logical id off None).
 */
async function physicalIds(cloudformation: CloudFormationClient, stackName: string): Promise<Map<string, string>> {
  const { StackResources: resources = [] } = await cloudformation.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const ids = new Map<string, string>();
  for (const resource of resources) {
    if (resource.LogicalResourceId !== undefined && resource.PhysicalResourceId !== undefined) ids.set(resource.LogicalResourceId, resource.PhysicalResourceId);
  }
  return ids;
}

function physicalId(ids: Map<string, string>, stackName: string, logicalId: string): string {
  const id = ids.get(logicalId);
  if (id === undefined) throw new Error(`stack ${stackName} has no physical resource for ${logicalId}`);
  return id;
}

/** The file asset (bucket and key) that a Lambda code location names. */
function codeAsset(assembly: StackAssembly, location: string, account: string, region: string): { bucket: string; key: string } {
  const key = basename(new URL(location).pathname);
  for (const asset of Object.values(assembly.assets.files ?? {})) {
    for (const destination of Object.values(asset.destinations)) {
      if (destination.objectKey === key) return { bucket: resolvePlaceholders(destination.bucketName, account, region), key };
    }
  }
  throw new Error(`GetFunction's code location ${location} names ${key}, which is none of the stack's file assets`);
}

export async function fetchDeployedResponder(clients: Clients, assembly: StackAssembly, account: string, region: string, workDir: string): Promise<DeployedResponder> {
  const stackName = assembly.stackName;
  const functionLogicalId = logicalIdAt(assembly, FUNCTION_PATH);
  const ids = await physicalIds(clients.cloudformation, stackName);
  const functionName = physicalId(ids, stackName, functionLogicalId);
  const targetGroupArn = physicalId(ids, stackName, logicalIdAt(assembly, TARGET_GROUP_PATH));
  const fn = await clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  const configuration = fn.Configuration;
  if (configuration?.Handler === undefined || configuration.Runtime === undefined || configuration.CodeSha256 === undefined || fn.Code?.Location === undefined) {
    throw new Error(`GetFunction ${functionName} returned no handler, runtime, code hash or code location`);
  }

  let logFormat: string = configuration.LoggingConfig?.LogFormat ?? '';
  let logFormatFrom: DeployedResponder['logFormatFrom'] = 'GetFunction';
  if (logFormat === '') {
    const { TemplateBody: body } = await clients.cloudformation.send(new GetTemplateCommand({ StackName: stackName }));
    const deployed = JSON.parse(body ?? '{}') as StackTemplate;
    logFormat = String(deployed.Resources?.[functionLogicalId]?.Properties?.['LoggingConfig']?.['LogFormat'] ?? 'Text');
    logFormatFrom = 'the deployed template';
  }

  const { bucket, key } = codeAsset(assembly, fn.Code.Location, account, region);
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const zip = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  const sha256 = createHash('sha256').update(zip).digest('base64');
  if (sha256 !== configuration.CodeSha256) {
    throw new Error(`s3://${bucket}/${key} has SHA-256 ${sha256}, but Lambda reports CodeSha256 ${configuration.CodeSha256} for ${functionName}`);
  }
  mkdirSync(workDir, { recursive: true });
  const zipFile = join(workDir, 'code.zip');
  const codeDir = join(workDir, 'code');
  writeFileSync(zipFile, zip);
  // python3 is there already (moto runs on it); its zipfile module unpacks what CDK zipped.
  await run('python3', ['-m', 'zipfile', '-e', zipFile, codeDir]);

  return {
    functionName,
    handler: configuration.Handler,
    runtime: configuration.Runtime,
    environment: configuration.Environment?.Variables ?? {},
    memorySize: configuration.MemorySize,
    timeoutSeconds: configuration.Timeout,
    logFormat,
    logFormatFrom,
    targetGroupArn,
    codeObject: `s3://${bucket}/${key}`,
    codeSha256: configuration.CodeSha256,
    codeDir,
  };
}
