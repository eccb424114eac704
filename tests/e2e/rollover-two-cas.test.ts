// `rollover` with the account at two CAs (two real pebbles validating through the same
// responder): killed after the key change at one of them and before it was recorded, orders at
// both CAs still validate (each signed with the key that CA holds, the other CA moved on first
// use), and a rerun finishes with both account URLs unchanged.
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient } from '../../container/acme/client.js';
import { fetchDirectory } from '../../container/acme/directory.js';
import { configureCaConnections } from '../../container/acme/tls.js';
import { clientsFor } from '../support/aws.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventOf, runCli, startCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { secondPebblePorts, startSecondPebble, type SecondPebble } from '../support/second-pebble.js';

let stack: LocalStack;
let second: SecondPebble;
let proxy: FaultProxy;
let aws: ReturnType<typeof clientsFor>;
let directories: string[];

interface Registration {
  thumbprint: string;
  accounts: Record<string, { accountUrl: string; thumbprint?: string }>;
}

beforeAll(async () => {
  const ports = await secondPebblePorts();
  const certificates = `one=one.example.com two=two.example.com;ca=https://localhost:${ports.port}/dir`;
  stack = await startLocalStack({ name: 'roll2', extraEnv: { JWK_REFRESH_SECONDS: '1', CERTIFICATES: certificates } });
  second = await startSecondPebble(stack, { ports });
  aws = clientsFor(stack);
  configureCaConnections(stack.env.ACME_TLS_CA_FILE);
  proxy = new FaultProxy(Number(stack.env.MOTO_PORT));
  await proxy.up();
  directories = [stack.env.ACME_DIRECTORY!, second.directoryUrl];
}, 180_000);
afterAll(async () => {
  await proxy?.down();
  await second?.stop();
  await stack?.stop();
});

async function accountAtCa(directoryUrl: string, keyPem: string): Promise<string | undefined> {
  const client = new AcmeClient({ directory: await fetchDirectory(directoryUrl), accountKey: createPrivateKey(keyPem) });
  return (await client.findAccount()) === undefined ? undefined : client.accountUrl;
}

const registration = async () => JSON.parse((await aws.read('account/registration.json'))!) as Registration;

describe('rollover at two CAs', () => {
  it('killed between the two key changes, keeps orders validating at both and finishes on the next run', async () => {
    const issued = await runCli(stack, ['renew']);
    expect(issued.code, issued.stdout.slice(-2000) + issued.stderr).toBe(0);
    const before = await registration();
    expect(Object.keys(before.accounts).sort()).toEqual([...directories].sort());
    const urls = Object.fromEntries(directories.map((d) => [d, before.accounts[d]!.accountUrl]));
    const oldKey = (await aws.read('account/key.pem'))!;

    // writes: next-key.pem, jwk.json, then registration.json after the first CA's key change
    let requestLine = '';
    const run = startCli(stack, ['rollover'], { AWS_ENDPOINT_URL: proxy.endpoint });
    proxy.holdOnMutating(3, (line) => {
      requestLine = line;
      run.child.kill('SIGKILL');
    });
    await run.done;
    proxy.holdOnMutating(undefined);
    expect(requestLine).toMatch(/^PUT .*account\/registration\.json/);
    const nextKey = (await aws.read('account/next-key.pem'))!;
    const moved = await Promise.all(directories.map(async (d) => ((await accountAtCa(d, nextKey)) === undefined ? 'old' : 'next')));
    expect(moved.sort()).toEqual(['next', 'old']);
    // nothing recorded yet: registration.json still names the old key at both
    expect(Object.values((await registration()).accounts).every((a) => a.thumbprint === undefined)).toBe(true);

    // orders at both CAs (PEBBLE_AUTHZREUSE=0: every name validated again)
    const between = await runCli(stack, ['renew', '--force']);
    expect(between.code, between.stdout.slice(-3000) + between.stderr).toBe(0);
    const summary = eventOf(between, 'renew-summary');
    expect(Number(summary.renewed) + Number(summary.issued), JSON.stringify(summary)).toBe(2);
    const during = await registration();
    for (const d of directories) expect(during.accounts[d]).toMatchObject({ accountUrl: urls[d], thumbprint: expect.any(String) as unknown });

    const rerun = await runCli(stack, ['rollover']);
    expect(rerun.code, rerun.stdout.slice(-2000) + rerun.stderr).toBe(0);
    expect(eventOf(rerun, 'rolled over').accounts).toEqual(expect.arrayContaining(directories.map((d) => `${d} ${urls[d]}`)));
    const newKey = (await aws.read('account/key.pem'))!;
    expect(newKey).toBe(nextKey);
    for (const d of directories) {
      expect(await accountAtCa(d, newKey), d).toBe(urls[d]);
      expect(await accountAtCa(d, oldKey), d).toBeUndefined();
    }
    const after = await registration();
    for (const d of directories) expect(after.accounts[d]!.accountUrl).toBe(urls[d]);

    const later = await runCli(stack, ['renew', '--force']);
    expect(later.code, later.stdout.slice(-2000) + later.stderr).toBe(0);
    expect(eventOf(later, 'renew-summary')).toMatchObject({ renewed: 2, failed: 0 });
  }, 400_000);
});
