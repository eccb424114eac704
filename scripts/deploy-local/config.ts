// The variables `just deploy-local` reads besides the stack's own DEPLOY_* (which it synthesizes
// exactly as `just synth` does). Its folder follows from LOCAL_STATE_DIR; moto's endpoint follows
// from the port moto got.
import { resolve } from 'node:path';
import { ConfigReader, parseDeployConfig, type Env, type KeyType } from '../../lib/core/index.js';
import { REPO_ROOT } from '../../lib/constructs/repo.js';

export interface DeployLocalConfig {
  readonly stackName: string;
  readonly accountKeyType: KeyType;
  /** undefined: any free port. */
  readonly motoPort: number | undefined;
  readonly keepMoto: boolean;
  /** `$LOCAL_STATE_DIR/deploy-local`: the assembly, the outputs, the logs and moto's pid. */
  readonly dir: string;
}

export function deployLocalDir(env: Env): string {
  return resolve(REPO_ROOT, env.LOCAL_STATE_DIR?.trim() || '.local', 'deploy-local');
}

export function parseDeployLocalConfig(env: Env): DeployLocalConfig {
  const deploy = parseDeployConfig(env);
  const reader = new ConfigReader(env);
  const port = reader.integer('DEPLOY_LOCAL_MOTO_PORT', { default: 0, min: 0, max: 65535 });
  return reader.done({
    stackName: deploy.stackName,
    accountKeyType: deploy.accountKeyType,
    motoPort: port === 0 ? undefined : port,
    keepMoto: reader.boolean('DEPLOY_LOCAL_KEEP_MOTO', false),
    dir: deployLocalDir(env),
  });
}
