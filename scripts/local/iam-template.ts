// The synthesized stack's IAM, for the local stack's roles: the task role's, the responder
// role's and (with DEPLOY_API, the default) the certificate API function's role's
// AWS::IAM::Policy documents exactly as `cdk synth` writes them (intrinsics unresolved),
// the logical ids of the resources they name, and the template file itself. Synthesized from a
// DEPLOY_* environment, as bin/app.ts does, with the same cdk.json context.
//
// Synth costs a few seconds, so the result is kept under .local/iam-templates, keyed by the
// configuration and by every input that can change a policy (lib/, bin/, cdk.json, the lock
// file) or the shape of what is kept (this file): a change to any of them is a new key, never a
// stale policy.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Sid?: string;
}

export interface TemplatePolicies {
  /** The DEPLOY_* configuration it was synthesized from. */
  readonly deploy: Record<string, string>;
  /** Path of the synthesized template (JSON) this was read from. */
  readonly templateFile: string;
  readonly issuer: { readonly roleLogicalId: string; readonly statements: readonly PolicyStatement[] };
  readonly responder: { readonly roleLogicalId: string; readonly statements: readonly PolicyStatement[] };
  /** The certificate API function's role (lib/constructs/api.ts); undefined: DEPLOY_API=false, the stack has no API. */
  readonly api: { readonly roleLogicalId: string; readonly statements: readonly PolicyStatement[] } | undefined;
  /** Logical ids of the resources the local stack stands in for (undefined: not in this configuration). */
  readonly resources: {
    readonly bucket: string;
    readonly key: string;
    readonly responderLogGroup: string;
    readonly issuerLogGroup: string;
    /** The API function's log group (undefined: no API). */
    readonly apiLogGroup: string | undefined;
    /** The issuer's cluster, task definition, task role and execution role (what the API's RunTask and PassRole name). */
    readonly cluster: string;
    readonly taskDefinition: string;
    readonly taskRole: string;
    readonly executionRole: string;
    readonly exportKey: string | undefined;
    readonly httpsListener: string | undefined;
  };
  /** Type of every resource in the template, to resolve a Ref or Fn::GetAtt by what it points at. */
  readonly types: Readonly<Record<string, string>>;
}

/** Every file whose content can change the synthesized policies. */
function inputsDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) hash.update(path).update(readFileSync(path));
    }
  };
  walk(join(REPO, 'lib'));
  walk(join(REPO, 'bin'));
  for (const file of ['cdk.json', 'package-lock.json', 'scripts/local/iam-template.ts']) hash.update(file).update(readFileSync(join(REPO, file)));
  return hash.digest('hex').slice(0, 16);
}

function cacheDir(): string {
  return join(REPO, '.local', 'iam-templates');
}

/**
 * The template's policies for this DEPLOY_* configuration: from the cache when the inputs are
 * unchanged, else synthesized now (and cached).
 */
export async function templatePolicies(deploy: Record<string, string> = {}): Promise<TemplatePolicies> {
  const only = Object.fromEntries(
    Object.entries(deploy)
      .filter(([name]) => name.startsWith('DEPLOY_'))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const key = createHash('sha256').update(JSON.stringify(only)).update(inputsDigest()).digest('hex').slice(0, 24);
  const file = join(cacheDir(), `${key}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TemplatePolicies;
  } catch {
    // not cached yet
  }
  mkdirSync(cacheDir(), { recursive: true });
  const policies = await synthesizePolicies(only, join(cacheDir(), `${key}.template.json`));
  // write-then-rename: two test files synthesizing the same configuration never read half a file
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(policies, null, 1));
  renameSync(partial, file);
  return policies;
}

async function synthesizePolicies(deploy: Record<string, string>, templateFile: string): Promise<TemplatePolicies> {
  const [{ App }, { parseDeployConfig }, { AcmeIssuerStack }] = await Promise.all([import('aws-cdk-lib'), import('../../lib/core/deploy-config.js'), import('../../lib/stack.js')]);
  const context = (JSON.parse(readFileSync(join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const outdir = mkdtempSync(join(tmpdir(), 'acme-iam-'));
  try {
    // Bundling stacks [] skips esbuild for the responder's asset: it changes the asset's hash and
    // nothing else (tests/infra/iam-template.test.ts compares the policies with a bundled synth).
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new AcmeIssuerStack(app, 'AcmeIssuerLocal', { config: parseDeployConfig(deploy) });
    const json = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties?: any }> };
    const id = (construct: { node: { defaultChild?: unknown } } | undefined) => (construct === undefined ? undefined : stack.getLogicalId((construct.node.defaultChild ?? construct) as never));
    const statementsOf = (roleLogicalId: string) =>
      Object.values(json.Resources)
        .filter((resource) => resource.Type === 'AWS::IAM::Policy' && (resource.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === roleLogicalId))
        .flatMap((resource) => resource.Properties.PolicyDocument.Statement as PolicyStatement[]);
    const issuerRole = id(stack.issuer.taskDefinition.taskRole)!;
    const responderRole = id(stack.responder.role)!;
    const apiRole = id(stack.api?.role);
    writeFileSync(templateFile, JSON.stringify(json, null, 1));
    return {
      deploy,
      templateFile,
      issuer: { roleLogicalId: issuerRole, statements: statementsOf(issuerRole) },
      responder: { roleLogicalId: responderRole, statements: statementsOf(responderRole) },
      api: apiRole === undefined ? undefined : { roleLogicalId: apiRole, statements: statementsOf(apiRole) },
      resources: {
        bucket: id(stack.store.bucket)!,
        key: id(stack.store.key)!,
        responderLogGroup: id(stack.responder.logGroup)!,
        issuerLogGroup: id(stack.issuer.logGroup)!,
        apiLogGroup: id(stack.api?.logGroup),
        cluster: id(stack.issuer.cluster)!,
        taskDefinition: id(stack.issuer.taskDefinition)!,
        taskRole: id(stack.issuer.taskDefinition.taskRole)!,
        executionRole: id(stack.issuer.taskDefinition.executionRole)!,
        exportKey: id(stack.issuer.exportKey),
        httpsListener: id(stack.responder.httpsListener),
      },
      types: Object.fromEntries(Object.entries(json.Resources).map(([logical, resource]) => [logical, resource.Type])),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
