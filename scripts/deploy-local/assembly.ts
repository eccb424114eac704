// What `cdk synth` wrote and the deploy steps read: the stack's template and its assets manifest,
// found through the cloud assembly's manifest.json as the CLI finds them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AssetManifest {
  readonly files?: Record<string, { readonly source: { readonly path: string; readonly packaging?: string }; readonly destinations: Record<string, { readonly bucketName: string; readonly objectKey: string }> }>;
  readonly dockerImages?: Record<string, { readonly destinations: Record<string, { readonly repositoryName: string; readonly imageTag: string }> }>;
}

export interface StackTemplate {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, any>; readonly Metadata?: Record<string, any> }>;
  readonly Outputs?: Record<string, unknown>;
}

export interface StackAssembly {
  readonly stackName: string;
  /** The stack's construct id: the first segment of every aws:cdk:path in its template. */
  readonly artifactId: string;
  readonly template: StackTemplate;
  readonly assets: AssetManifest;
}

interface CloudAssemblyManifest {
  readonly artifacts: Record<string, { readonly type: string; readonly properties?: Record<string, any>; readonly dependencies?: string[] }>;
}

export function readStackAssembly(dir: string, stackName: string): StackAssembly {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CloudAssemblyManifest;
  const stack = Object.entries(manifest.artifacts).find(([id, artifact]) => artifact.type === 'aws:cloudformation:stack' && (artifact.properties?.['stackName'] ?? id) === stackName);
  if (stack === undefined) throw new Error(`${dir} has no stack named ${stackName}`);
  const [artifactId, artifact] = stack;
  const assetsId = (artifact.dependencies ?? []).find((id) => manifest.artifacts[id]?.type === 'cdk:asset-manifest');
  const assetsFile = assetsId === undefined ? undefined : (manifest.artifacts[assetsId]?.properties?.['file'] as string | undefined);
  return {
    stackName,
    artifactId,
    template: JSON.parse(readFileSync(join(dir, artifact.properties?.['templateFile'] as string), 'utf8')) as StackTemplate,
    assets: assetsFile === undefined ? {} : (JSON.parse(readFileSync(join(dir, assetsFile), 'utf8')) as AssetManifest),
  };
}

/** `cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}` for a given account and region. */
export function resolvePlaceholders(text: string, account: string, region: string): string {
  return text.replaceAll('${AWS::AccountId}', account).replaceAll('${AWS::Region}', region).replaceAll('${AWS::Partition}', 'aws');
}

/** The logical id of the resource CDK built at this construct path (e.g. `Responder/Function/Resource`). */
export function logicalIdAt(assembly: StackAssembly, path: string): string {
  const full = `${assembly.artifactId}/${path}`;
  const id = Object.entries(assembly.template.Resources).find(([, resource]) => resource.Metadata?.['aws:cdk:path'] === full)?.[0];
  if (id === undefined) throw new Error(`the template has no resource at ${full}`);
  return id;
}
