// SIGKILL at every step of `rollover`, as tests/reliability/crash.test.ts does for a renewal: the
// CLI is killed just before each request that could change S3 (the fault proxy in front of
// moto holds it), and once while it waits for the responders. After each kill an order is placed
// (issue must succeed: pebble validates every name against the key it holds for the account at
// that moment), then `rollover` is run again and must finish; the account URL never changes.
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient } from '../../container/acme/client.js';
import { fetchDirectory } from '../../container/acme/directory.js';
import { publicJwkOf } from '../../container/acme/keys.js';
import { configureCaConnections } from '../../container/acme/tls.js';
import { jwkThumbprint, parsePublishedJwk } from '../../lib/core/index.js';
import { clientsFor } from '../support/aws.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { runCli, startCli, startLocalStack, type CliResult, type LocalStack, type RunningCli } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

let stack: LocalStack;
let proxy: FaultProxy;
let aws: ReturnType<typeof clientsFor>;
let directory: string;
let accountUrl: string;
const ISSUE = ['issue', '--name', 'roll', '--domain', 'roll.example.com'];

beforeAll(async () => {
  stack = await startLocalStack({ name: 'rollcrash', extraEnv: { JWK_REFRESH_SECONDS: '1', PEBBLE_AUTHZREUSE: '0' } });
  aws = clientsFor(stack);
  configureCaConnections(stack.env.ACME_TLS_CA_FILE);
  proxy = new FaultProxy(Number(stack.env.MOTO_PORT));
  await proxy.up();
  const first = await runCli(stack, ISSUE);
  expect(first.code, first.stderr + first.stdout).toBe(0);
  directory = stack.env.ACME_DIRECTORY!;
  accountUrl = (JSON.parse((await aws.read('account/registration.json'))!) as { accounts: Record<string, { accountUrl: string }> }).accounts[directory]!.accountUrl;
}, 180_000);
afterAll(async () => {
  await proxy?.down();
  await stack?.stop();
});

/** The account as S3 and the CA have it: settled when jwk.json names key.pem alone and the CA finds the same account by it. */
async function accountState() {
  const keyPem = (await aws.read('account/key.pem'))!;
  const published = parsePublishedJwk((await aws.read('account/jwk.json'))!);
  const registration = JSON.parse((await aws.read('account/registration.json'))!) as { thumbprint: string; accounts: Record<string, { accountUrl: string }> };
  const client = new AcmeClient({ directory: await fetchDirectory(directory), accountKey: createPrivateKey(keyPem) });
  const atCa = (await client.findAccount()) === undefined ? undefined : client.accountUrl;
  const thumbprint = await jwkThumbprint(publicJwkOf(keyPem));
  return {
    thumbprint,
    settled: published.next === undefined && (await jwkThumbprint(published.current)) === thumbprint && registration.thumbprint === thumbprint,
    registeredUrl: registration.accounts[directory]?.accountUrl,
    atCa,
  };
}

/** After a kill: an order in between must validate, and a rerun must finish the rollover with the same account. */
async function orderThenFinish(killedAt: string): Promise<boolean> {
  const issued = await runCli(stack, ISSUE);
  expect(issued.code, `issue after a kill ${killedAt}: ${issued.stdout.slice(-2000)}${issued.stderr}`).toBe(0);
  const rerun = await runCli(stack, ['rollover']);
  expect(rerun.code, `rollover after a kill ${killedAt}: ${rerun.stdout.slice(-2000)}${rerun.stderr}`).toBe(0);
  const state = await accountState();
  expect(state, `after a kill ${killedAt}`).toMatchObject({ settled: true, registeredUrl: accountUrl, atCa: accountUrl });
  return state.settled && state.atCa === accountUrl;
}

async function killed(run: RunningCli, kill: () => string): Promise<{ result: CliResult; at: string }> {
  const result = await run.done;
  return { result, at: kill() };
}

describe('rollover killed with SIGKILL', () => {
  it('before each S3 write and while waiting for the responders, keeps issuance working and finishes on the next run', async () => {
    const viaProxy = { AWS_ENDPOINT_URL: proxy.endpoint };
    const killedAt: string[] = [];
    let lost = 0;
    for (let k = 1; k <= 20; k++) {
      let requestLine = '';
      const run = startCli(stack, ['rollover'], viaProxy);
      proxy.holdOnMutating(k, (line) => {
        requestLine = line;
        run.child.kill('SIGKILL');
      });
      const { result } = await killed(run, () => requestLine);
      proxy.holdOnMutating(undefined);
      if (requestLine === '') {
        // k is past the last write: this run finished the rollover itself
        expect(result.code, result.stderr + result.stdout.slice(-2000)).toBe(0);
        expect(await accountState()).toMatchObject({ settled: true, atCa: accountUrl });
        break;
      }
      killedAt.push(`before ${requestLine}`);
      if (!(await orderThenFinish(`before ${requestLine}`))) lost += 1;
    }
    // the published next key, responders not yet switched: killed in the wait
    const run = startCli(stack, ['rollover'], {}, (event, child) => {
      if (event.event === 'step' && event.step === 'publish it beside the current key') child.kill('SIGKILL');
    });
    const { result } = await killed(run, () => 'while waiting for the responders');
    expect(result.code).toBe(137);
    expect(parsePublishedJwk((await aws.read('account/jwk.json'))!).next).toBeDefined();
    killedAt.push('while waiting for the responders');
    if (!(await orderThenFinish('while waiting for the responders'))) lost += 1;

    expect(killedAt.some((line) => line.includes('/account/next-key.pem'))).toBe(true);
    expect(killedAt.some((line) => line.includes('/account/registration.json'))).toBe(true);
    expect(killedAt.some((line) => line.includes('/account/key.pem'))).toBe(true);
    expect(killedAt.filter((line) => line.includes('/account/jwk.json')).length).toBeGreaterThanOrEqual(2);
    recordReliability({
      suite: 'rollover-crash',
      kind: 'fault',
      class: 'SIGKILL before each S3 write of an account key rollover, and in its wait',
      tried: killedAt.length,
      survived: killedAt.length - lost,
      objectsLost: lost,
    });
  }, 600_000);
});
