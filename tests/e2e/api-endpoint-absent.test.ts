// A local stack standing in for a deployment without the certificate API (DEPLOY_API=false): the
// template has no API function role, so `just up` makes no `api` role and no run/api.env, and
// does not start the local API endpoint (there is nothing deployed for it to stand in for); the
// endpoint's own check and `just status` say why, and nothing listens on API_PORT. The rest of
// the stack is up.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_NAMES, type IamState } from '../../scripts/local/bootstrap-iam.js';
import { adminCredentials } from '../support/aws.js';
import { repoRoot, startLocalStack, type LocalStack } from '../support/local-stack.js';

const run = promisify(execFile);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'api-absent', deploy: { DEPLOY_API: 'false' } });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the local stack of a deployment without the API (DEPLOY_API=false)', () => {
  it('has no api role and no API endpoint, and says why', async () => {
    expect(stack.iam!.policies.api).toBeUndefined();
    const state = JSON.parse(readFileSync(join(stack.stateDir, 'run', 'iam.json'), 'utf8')) as IamState;
    expect(Object.keys(state.roles).sort()).toEqual(['issuer', 'responder']);
    expect(existsSync(join(stack.stateDir, 'run', 'api.env'))).toBe(false);
    const iam = new IAMClient({ region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) });
    const role = await iam.send(new GetRoleCommand({ RoleName: ROLE_NAMES.api })).then(
      () => 'exists',
      (error: { name?: string }) => error.name,
    );
    expect(role).toBe('NoSuchEntityException');
    // not started: no pid, and nothing answers on its port
    expect(existsSync(join(stack.stateDir, 'run', 'api.pid'))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${stack.env.API_PORT}/health`)).rejects.toThrow();
    // the endpoint's own check, which up.sh asks before starting it
    const checked = await run('node', ['--import', 'tsx', 'scripts/local/api-endpoint.ts', 'check'], { cwd: repoRoot, env: stack.env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(checked.code).toBe(3);
    expect(checked.stderr).toContain('not starting the local certificate API: the template has no certificate API (DEPLOY_API=false)');
    // `just status` says so instead of DOWN
    const { stdout: status } = await run('bash', ['scripts/local/status.sh'], { cwd: repoRoot, env: stack.env });
    expect(status).toMatch(/^api +pid - +off \(the template has no certificate API \(DEPLOY_API=false\)/m);
    expect(status).toMatch(/^task-runner +pid \d+ +healthy$/m);
    // the issuer's task definition is there all the same (just run-task, the schedule)
    expect(existsSync(join(stack.stateDir, 'run', 'task.json'))).toBe(true);
  }, 60_000);
});
