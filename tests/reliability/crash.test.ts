// SIGKILL at every point of a renewal: the issuer is killed just before each request that could
// change S3 or ACM (archive, pointer, live copies, record, index, lease, ACM import). After each
// kill the previous or the new certificate is live, whole and matching; a later run finishes or
// redoes the work by itself, and nothing archived is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { liveState, settled } from '../support/invariants.js';
import { runCli, startCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

let stack: LocalStack;
let proxy: FaultProxy;
let aws: ReturnType<typeof clientsFor>;
const LEASE_SECONDS = 2;
const CERTIFICATES = 'crash=crash.example.com,www.crash.example.com';

beforeAll(async () => {
  stack = await startLocalStack({ name: 'crash', extraEnv: { CERTIFICATES, LEASE_SECONDS: String(LEASE_SECONDS) } });
  aws = clientsFor(stack);
  proxy = new FaultProxy(Number(stack.env.MOTO_PORT));
  await proxy.up();
  const first = await runCli(stack, ['renew']);
  expect(first.code, first.stderr).toBe(0);
});
afterAll(async () => {
  await proxy?.down();
  await stack?.stop();
});

describe('the issuer killed with SIGKILL', () => {
  it('at every mutating request of a renewal, loses nothing and recovers by itself', async () => {
    const viaProxy = { AWS_ENDPOINT_URL: proxy.endpoint };
    const killedAt: string[] = [];
    let lost = 0;
    for (let k = 1; k <= 60; k++) {
      const before = await liveState(aws, 'crash');
      let requestLine = '';
      const run = startCli(stack, ['renew', '--force', 'crash'], viaProxy);
      proxy.holdOnMutating(k, (line) => {
        requestLine = line;
        run.child.kill('SIGKILL');
      });
      const result = await run.done;
      proxy.holdOnMutating(undefined);
      if (requestLine === '') {
        // k is past the last mutating request: the run completed.
        expect(result.code, result.stderr).toBe(0);
        break;
      }
      killedAt.push(requestLine);

      const after = await liveState(aws, 'crash');
      const intact =
        after.pointerPairMatches &&
        (after.serial === before.serial || !before.archivedSerials.includes(after.serial)) &&
        before.archivedSerials.every((serial) => after.archivedSerials.includes(serial)) &&
        (after.acmSerial === before.acmSerial || after.acmSerial === after.serial) &&
        ['active', 'renewal-due', 'issuing', 'failed'].includes(after.recordState ?? '');
      if (!intact) lost += 1;
      expect(intact, `killed before ${requestLine}: ${JSON.stringify({ before, after })}`).toBe(true);

      // A later scheduled run (not forced) finishes or redoes the work once the lease has expired.
      await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 200));
      const recovery = await runCli(stack, ['renew']);
      expect(recovery.code, recovery.stderr + recovery.stdout.slice(-1500)).toBe(0);
      const recovered = await liveState(aws, 'crash');
      if (!settled(recovered)) lost += 1;
      expect(settled(recovered), `after killing before ${requestLine}, recovery left ${JSON.stringify(recovered)}`).toBe(true);
    }
    expect(killedAt.length).toBeGreaterThanOrEqual(10);
    expect(killedAt.some((line) => line.startsWith('PUT') && line.includes('/archive/'))).toBe(true);
    expect(killedAt.some((line) => line.includes('/live/'))).toBe(true);
    expect(killedAt.some((line) => line.startsWith('POST'))).toBe(true); // ACM
    recordReliability({ suite: 'crash', kind: 'fault', class: 'SIGKILL before each mutating S3/ACM request of a renewal', tried: killedAt.length, survived: killedAt.length - lost, objectsLost: lost });
  }, 300_000);
});
