import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, synthesize } from './synth.js';

/**
 * The real entry point, run the way `just synth` runs it: the pinned CDK CLI over bin/app.ts,
 * with no AWS credentials, no region and no endpoint in the environment (offline).
 */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('DEPLOY_') && !name.startsWith('CDK_')) env[name] = value;
  }
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: '1', ...extra };
}

function cdkSynth(outdir: string, extra: Record<string, string> = {}) {
  return spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
    cwd: REPO_ROOT,
    env: offlineEnv(extra),
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('cdk synth (bin/app.ts through the CDK CLI, offline)', () => {
  let outdir: string;
  let result: ReturnType<typeof cdkSynth>;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'acme-cdk-out-'));
    result = cdkSynth(outdir);
  }, 120_000);

  it('succeeds without credentials, with cdk-nag AwsSolutions attached and no unacknowledged finding', () => {
    expect(result.stderr).not.toMatch(/ERROR|AwsSolutions-/);
    expect(result.status).toBe(0);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations?: unknown[] }) => plugin.violations ?? [])).toEqual([]);
  });

  it('writes a template that cfn-lint passes with zero errors', () => {
    const lint = spawnSync('cfn-lint', ['--format', 'json', '--', join(outdir, 'AcmeIssuer.template.json')], { encoding: 'utf8' });
    expect(lint.error).toBeUndefined();
    const findings = JSON.parse(lint.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string }[];
    expect(findings.filter((finding) => finding.Level === 'Error')).toEqual([]);
    // cfn-lint's exit status is a bit mask; 2 means errors.
    expect((lint.status ?? 0) & 2).toBe(0);
  });

  it('fails with a message that names the variable when the configuration is wrong', () => {
    const failed = cdkSynth(mkdtempSync(join(tmpdir(), 'acme-cdk-bad-')), { DEPLOY_SCHEDULE: 'every day', DEPLOY_TASK_SUBNETS: 'isolated' });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('DEPLOY_SCHEDULE="every day" is not valid');
    expect(failed.stderr).toContain('DEPLOY_TASK_SUBNETS="isolated" is not valid; expected one of public, private');
  }, 120_000);
});

describe('cdk-nag acknowledgements', () => {
  it('are exactly the reviewed list, each with a written reason', () => {
    const { json } = synthesize({});
    const acknowledged = new Map<string, string>();
    for (const resource of Object.values(json.Resources)) {
      for (const rule of (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[]) {
        if (rule.id.startsWith('AwsSolutions-')) acknowledged.set(rule.id, rule.reason);
      }
    }
    expect([...acknowledged.keys()].sort()).toEqual(
      [
        'AwsSolutions-VPC7',
        'AwsSolutions-S1',
        'AwsSolutions-EC23',
        'AwsSolutions-ELB2',
        'AwsSolutions-ECS4',
        'AwsSolutions-ECS2',
        'AwsSolutions-SNS2',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*]',
        ...['account', 'live', 'archive', 'renewal', 'declared', 'locks'].map((prefix) => `AwsSolutions-IAM5[Resource::<StoreBucket4FBDE984.Arn>/${prefix}/*]`),
        // the API's reads: the live pointer and the public chain of every certificate, never a key
        ...['metadata.json', 'fullchain.pem'].map((file) => `AwsSolutions-IAM5[Resource::<StoreBucket4FBDE984.Arn>/live/*/${file}]`),
      ].sort(),
    );
    for (const reason of acknowledged.values()) expect(reason.length).toBeGreaterThan(40);
  });
});
