// The EAB HMAC key never reaches stdout or stderr through a configuration error: the real CLI
// process and the real synth (the CDK CLI over bin/app.ts, as `just synth` runs it, with the .env
// a user shares between the two holding the key). The pure rules are table-tested in
// tests/core/config-secrets.test.ts; this shows the processes print what those rules produce.
// A configuration error stops both before any AWS or CA call, so no local stack is needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCodes } from '../../container/exit-codes.js';
import { repoRoot } from '../support/local-stack.js';

const SECRET = 'c2VjcmV0LWhtYWMta2V5LTdmM2E5';

/** The machine's environment without any AWS, CDK, ACME or deploy setting of the developer's. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_|DEPLOY_|ACME_|CERT_|EXPORT)/.test(name)) env[name] = value;
  }
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: '1', ...extra };
}

function cli(args: readonly string[], extra: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'container/cli.ts', ...args], { cwd: repoRoot, env: cleanEnv(extra), encoding: 'utf8', timeout: 60_000 });
}

describe('configuration errors through the real processes', () => {
  it.each([
    ['a malformed key', { ACME_EAB_HMAC_KEY: `${SECRET} !` }, 'ACME_EAB_HMAC_KEY (value not shown: secret) is not valid'],
    ['the key pasted into ACME_DIRECTORY too', { ACME_EAB_HMAC_KEY: SECRET, ACME_DIRECTORY: SECRET }, 'ACME_DIRECTORY="<ACME_EAB_HMAC_KEY>" is not valid'],
    ['the key pasted into CERTIFICATES too', { ACME_EAB_HMAC_KEY: SECRET, CERTIFICATES: `${SECRET}=a.example.com` }, 'CERTIFICATES entry "<ACME_EAB_HMAC_KEY>"'],
  ])(
    'the CLI names %s and prints no part of the key, text or --json',
    (_label, env, expected) => {
      for (const args of [['register'], ['renew', '--json']]) {
        const result = cli(args, { CERT_BUCKET: 'my-certs', ACME_EAB_KID: 'kid-1', ...env });
        expect(result.status, result.stderr).toBe(ExitCodes.USAGE_OR_CONFIG);
        // --json escapes the quotes of the message; the text form does not
        const printed = `${result.stdout}${result.stderr}`;
        expect(printed.replaceAll('\\"', '"')).toContain(expected);
        expect(printed).not.toContain(SECRET);
      }
    },
    60_000,
  );

  it('synth names a key pasted into DEPLOY_ACME_EAB_HMAC_SECRET_ARN without printing it', () => {
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', mkdtempSync(join(tmpdir(), 'acme-cdk-secret-'))], {
      cwd: repoRoot,
      env: cleanEnv({ ACME_EAB_HMAC_KEY: SECRET, DEPLOY_ACME_EAB_KID: 'kid-1', DEPLOY_ACME_EAB_HMAC_SECRET_ARN: SECRET, DEPLOY_ACME_CONTACT_EMAIL: SECRET }),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DEPLOY_ACME_EAB_HMAC_SECRET_ARN (value not shown: secret) is not valid');
    expect(result.stderr).toContain('DEPLOY_ACME_CONTACT_EMAIL="<ACME_EAB_HMAC_KEY>" is not valid');
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  }, 120_000);
});
