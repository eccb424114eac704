// `just up` as it starts by default (LOCAL_IAM_ENFORCE=false: moto checks nothing): the task runner
// still runs what RunTask records, with the stack's dummy keys instead of a role's session.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { repoRoot, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'runner-open', iam: false });
}, 180_000);
afterAll(async () => stack?.stop());

function just(args: readonly string[]) {
  return spawnSync('npx', ['just', ...args], { cwd: repoRoot, env: stack.env, encoding: 'utf8', timeout: 120_000 });
}

describe('the task runner without IAM', { timeout: 180_000 }, () => {
  it("runs register through RunTask, then the schedule target, which fails with renew's exit code", async () => {
    const register = just(['run-task', '--local', '--', 'register']);
    expect(register.status, register.stdout + register.stderr).toBe(0);
    expect(register.stdout).toMatch(/exit code: 0 \(EssentialContainerExited/);
    expect(await clientsFor(stack).read('account/jwk.json')).toBeDefined();
    // nothing issued yet: renew refuses (exit 2), and the recipe exits with the task's code
    const fired = just(['schedule-fire']);
    expect(fired.status, fired.stdout + fired.stderr).toBe(2);
    expect(fired.stdout).toMatch(/there are no certificates to renew/);
    expect(fired.stdout).toMatch(/exit code: 2 \(EssentialContainerExited/);
    const status = spawnSync('bash', ['scripts/local/status.sh'], { cwd: repoRoot, env: stack.env, encoding: 'utf8' });
    expect(status.stdout).toMatch(/^task-runner\s+pid \d+\s+healthy$/m);
    expect(readFileSync(join(stack.stateDir, 'run', 'task.json'), 'utf8')).toContain(stack.env.AWS_REGION!);
  });
});
