// The environment every step of `just deploy-local` runs in. Whatever the shell or .env hold
// (a profile, SSO, keys, a role, LocalStack's endpoint), nothing of it reaches the CDK CLI or the
// SDK clients: every AWS_* and CDK_* variable is dropped, the CLI gets a home and AWS config files
// of its own (so ~/.aws/config and ~/.cdk.json are never read), and moto's dummy keys are the
// only credentials there are. A request that escaped the endpoint would carry keys no account has.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** moto's default account, and the region the recipe bootstraps and deploys into. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** Variables kept although they start with AWS_: they select no account and no endpoint. */
const KEPT = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

export function withoutAws(base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if ((name.startsWith('AWS_') || name.startsWith('CDK_')) && !KEPT.has(name)) continue;
    env[name] = value;
  }
  return env;
}

/** A home with empty AWS config and credentials files, made once per run. */
export function sandboxHome(dir: string): string {
  mkdirSync(join(dir, '.aws'), { recursive: true });
  writeFileSync(join(dir, '.aws', 'config'), '');
  writeFileSync(join(dir, '.aws', 'credentials'), '');
  return dir;
}

const CLI_QUIET = {
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
};

function isolated(base: NodeJS.ProcessEnv, home: string): Record<string, string> {
  return {
    ...withoutAws(base),
    HOME: home,
    AWS_CONFIG_FILE: join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
    ...CLI_QUIET,
  };
}

/** For `cdk synth`: no credentials and no endpoint at all, as `just synth` runs it. */
export function offlineEnv(base: NodeJS.ProcessEnv, home: string): Record<string, string> {
  return isolated(base, home);
}

/** For the CLI's bootstrap and deploy, and for this process's own SDK clients: moto and nothing else. */
export function motoEnv(base: NodeJS.ProcessEnv, home: string, endpoint: string): Record<string, string> {
  return {
    ...isolated(base, home),
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
  };
}

/** Replaces this process's environment with `env` (the SDK clients made here read it). */
export function adoptEnv(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
}

/** Settings for an SDK client made in this process: moto, its keys, path-style S3. */
export function motoClientSettings(endpoint: string) {
  return { endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS, forcePathStyle: true } as const;
}
