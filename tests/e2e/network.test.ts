// The issuer's connections against the deployed task's security group. Every e2e stack checks
// its CLI runs when it stops (tests/support/local-stack.ts); this file runs each command once,
// shows that every purpose is recorded (a recorder that saw nothing would pass every check), and
// shows the check refuses the group the stack deployed before (HTTPS only), which blocked the
// pre-flight of every scheduled renewal on AWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedTaskFor, egressViolations, purposeOf, readRecords } from '../support/network-record.js';
import { runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'network' });
}, 120_000);
afterAll(async () => stack?.stop());

describe("the issuer's connections and the task's security group", () => {
  it('records the CA, the AWS endpoint and the pre-flight through a whole lifecycle, and the deployed group allows each', async () => {
    const domain = 'net.example.com';
    for (const args of [['register'], ['issue', '--name', 'net', '--domain', domain], ['renew', 'net', '--force'], ['health', '--domain', domain], ['revoke', 'net'], ['delete', 'net']]) {
      const result = await runCli(stack, args, { CERTIFICATES: args[0] === 'delete' ? '' : `net=${domain}` });
      expect(result.code, `${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
    }
    const purposes = new Set(stack.cliRuns.flatMap((run) => readRecords(run.file).map((record) => purposeOf(record.port, run.env))));
    expect([...purposes].sort()).toEqual(['aws-api', 'ca', 'preflight']);
    expect(egressViolations(stack.cliRuns, await deployedTaskFor(stack.deployEnv))).toEqual([]);
  }, 120_000);

  it("refuses a group that allows only HTTPS: the pre-flight's port 80 is named", async () => {
    const deployed = await deployedTaskFor(stack.deployEnv);
    const httpsOnly = { ...deployed, egress: deployed.egress.filter((rule) => rule.fromPort === 443) };
    const violations = egressViolations(stack.cliRuns, httpsOnly);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^preflight: on AWS port 80, and the task's security group allows no TCP egress to it \(egress: tcp 443-443 to 0\.0\.0\.0\/0\)/);
  });

  it('refuses a connection that has no purpose, naming where it went', async () => {
    const run = stack.cliRuns[0]!;
    const stray = { ...run, env: { ...run.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' } };
    expect(egressViolations([stray], await deployedTaskFor(stack.deployEnv)).join('\n')).toMatch(/connected to 127\.0\.0\.1:\d+, which is neither the CA, the AWS endpoint nor the pre-flight's port/);
  });
});
