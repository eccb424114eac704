import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Env } from '../../lib/core/config.js';
import { parseDeployConfig } from '../../lib/core/deploy-config.js';
import { AcmeIssuerStack } from '../../lib/stack.js';
import { REPO_ROOT } from '../../lib/constructs/repo.js';

export { REPO_ROOT };

/** The feature flags `cdk synth` uses, so tests see the template the CLI would deploy. */
const CONTEXT = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface Synthesized {
  readonly stack: AcmeIssuerStack;
  readonly template: Template;
  readonly json: { Resources: Record<string, { Type: string; Properties?: any; Metadata?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>; Outputs?: Record<string, any> };
  readonly outdir: string;
}

/**
 * Builds the real stack from a DEPLOY_* environment, with cdk-nag's AwsSolutions pack attached
 * exactly as bin/app.ts does (a finding makes synth throw), writing acknowledgements into the
 * template's metadata so tests can read every reason.
 */
export function synthesize(env: Env = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'acme-infra-'));
  const app = new App({ outdir, context: CONTEXT });
  const stack = new AcmeIssuerStack(app, 'AcmeIssuerTest', { config: parseDeployConfig(env) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as Synthesized['json'];
  return { stack, template: Template.fromJSON(json), json, outdir };
}

export function resourcesOfType(json: Synthesized['json'], type: string): [string, any][] {
  return Object.entries(json.Resources).filter(([, resource]) => resource.Type === type);
}

export function only<T>(items: readonly T[]): T {
  if (items.length !== 1) throw new Error(`expected exactly one, found ${items.length}`);
  return items[0] as T;
}

/** Every statement of every inline policy attached to the role with this logical id. */
export function statementsOfRole(json: Synthesized['json'], roleLogicalId: string): any[] {
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties.Roles as any[]).some((role) => role.Ref === roleLogicalId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as any[]);
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

export function logicalId(synth: Synthesized, construct: unknown): string {
  const child = (construct as { node: { defaultChild?: unknown } }).node.defaultChild ?? construct;
  return synth.stack.getLogicalId(child as never);
}
