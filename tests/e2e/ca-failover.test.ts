// CA failover on the local stack: two real pebbles (the stack's and a second with its own ports and
// roots), the same account key and responder for both. The first stopped: issuance comes from the
// second, and the output, record, live pointer, `show` and the second pebble say so; revoke goes to
// the CA that issued; the first back: nothing is reissued for it, and the next renewal uses the
// first again. A CA's own refusal (pebble's blocklist: rejectedIdentifier) moves to the next CA; a
// failure that is ours (the pre-flight) does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { addA } from '../support/loopback.js';
import { pebbleCertStatus } from '../support/pebble.js';
import { startSecondPebble, type SecondPebble } from '../support/second-pebble.js';

let stack: LocalStack;
let second: SecondPebble;
let aws: ReturnType<typeof clientsFor>;
let first: string;
let env: Record<string, string>;

const row = (result: CliResult, name: string) => result.events.find((e) => e.event === 'certificate' && e.name === name);
const failovers = (result: CliResult) => result.events.filter((e) => e.event === 'warning' && /trying the next CA/.test(String(e.message)));
const record = async (name: string) => JSON.parse((await aws.read(`renewal/${name}.json`))!) as Record<string, unknown>;
const live = async (name: string) => JSON.parse((await aws.read(`live/${name}/metadata.json`))!) as { serial: string; directoryUrl: string };

beforeAll(async () => {
  stack = await startLocalStack({ name: 'ca-failover' });
  second = await startSecondPebble(stack, { blockedDomains: ['blocked.example.com'] });
  aws = clientsFor(stack);
  first = stack.env.ACME_DIRECTORY!;
  // Nothing listens on 127.0.0.2 at the HTTP-01 port: the pre-flight refuses this name.
  await addA(stack, 'away.example.com', '127.0.0.2');
  const list = `ca=${first}|${second.directoryUrl}`;
  // `blocked` lists the second first: its policy refuses the name, the stack's pebble does not.
  env = { CERTIFICATES: `shop=shop.example.com;${list} api=api.example.com;${list} away=away.example.com;${list} blocked=blocked.example.com;ca=${second.directoryUrl}|${first}` };
  const registered = await runCli(stack, ['register'], env);
  expect(registered.code, registered.stderr).toBe(0);
});
afterAll(async () => {
  await second?.stop();
  await stack?.stop();
});

describe('two CAs, the first stopped', () => {
  it('issues from the second and says so', async () => {
    await stack.service('stop', 'pebble');
    const result = await runCli(stack, ['renew', 'shop', 'api'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const name of ['shop', 'api']) {
      expect(row(result, name)).toMatchObject({ action: 'issued', ca: second.directoryUrl });
      expect(await record(name)).toMatchObject({ state: 'active', directoryUrl: second.directoryUrl });
      const pointer = await live(name);
      expect(pointer.directoryUrl).toBe(second.directoryUrl);
      // The second pebble issued it (the first could not have: it is down).
      expect((await second.certStatus(pointer.serial)).body).toMatch(/"Status":\s*"Valid"/);
    }
    const warned = failovers(result);
    expect(warned.length).toBeGreaterThan(0);
    expect(warned[0]).toMatchObject({ ca: first, reason: 'outage', next: second.directoryUrl });
    expect(String(warned[0]!.message)).toMatch(/could not be reached/);
    expect(result.events.some((e) => /^issued by .* \(failover: /.test(String(e.message)) && e.ca === second.directoryUrl)).toBe(true);
    // The same key, registered at the second CA on first use.
    const registration = JSON.parse((await aws.read('account/registration.json'))!) as { accounts: Record<string, unknown> };
    expect(Object.keys(registration.accounts)).toEqual(expect.arrayContaining([first, second.directoryUrl]));
  });

  it('shows which CA issued', async () => {
    const result = await runCli(stack, ['show', 'shop'], env);
    expect(result.code).toBe(0);
    expect(eventOf(result, 'certificate')).toMatchObject({ ca: second.directoryUrl });
    expect(String((eventOf(result, 'certificate').history as string[]).at(-1))).toContain(`by ${second.directoryUrl}`);
  });

  it('fails `issue` over along ACME_DIRECTORY when it is a list', async () => {
    const result = await runCli(stack, ['issue', '--name', 'solo', '--domain', 'solo.example.com'], { ...env, ACME_DIRECTORY: `${first}|${second.directoryUrl}` });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(eventOf(result, 'issued')).toMatchObject({ ca: second.directoryUrl });
    expect(failovers(result)[0]).toMatchObject({ ca: first, reason: 'outage', next: second.directoryUrl });
    expect((await second.certStatus((await live('solo')).serial)).body).toMatch(/"Status":\s*"Valid"/);
  });

  it('revokes at the CA that issued, with the first still down', async () => {
    const result = await runCli(stack, ['revoke', 'api'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await second.certStatus((await live('api')).serial)).body).toMatch(/"Status":\s*"Revoked"/);
  });
});

describe('the first CA back', () => {
  it('reissues nothing for it: a certificate from the second CA of its list is not "another CA"', async () => {
    await stack.service('start', 'pebble');
    const result = await runCli(stack, ['renew', 'shop'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(row(result, 'shop')).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/^not due until/) });
  });

  it('the next renewal uses the first again', async () => {
    const result = await runCli(stack, ['renew', '--force', 'shop', 'api'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(failovers(result)).toEqual([]);
    // `replaces` names a certificate of the second CA: the first is not sent it (it would refuse it).
    expect(result.events.some((e) => /refused `replaces`/.test(String(e.message)))).toBe(false);
    for (const name of ['shop', 'api']) {
      expect(row(result, name)).toMatchObject({ ca: first });
      expect(await record(name)).toMatchObject({ state: 'active', directoryUrl: first });
      const pointer = await live(name);
      expect(pointer.directoryUrl).toBe(first);
      expect(await pebbleCertStatus(stack, pointer.serial)).toMatchObject({ Status: 'Valid' });
    }
  });
});

describe('a CA refusing the order', () => {
  it('moves to the next CA of the list', async () => {
    const result = await runCli(stack, ['renew', 'blocked'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(failovers(result)).toEqual([expect.objectContaining({ ca: second.directoryUrl, reason: 'refused', next: first })]);
    expect(String(failovers(result)[0]!.message)).toMatch(/rejectedIdentifier/);
    expect(row(result, 'blocked')).toMatchObject({ action: 'issued', ca: first });
    expect(await record('blocked')).toMatchObject({ state: 'active', directoryUrl: first });
  });
});

describe('a failure that is ours', () => {
  it('does not move to the next CA: the pre-flight fails the certificate at once', async () => {
    const result = await runCli(stack, ['renew', 'away'], env);
    expect(result.code, result.stdout + result.stderr).toBe(9);
    expect(row(result, 'away')).toMatchObject({ action: 'failed', code: 'ERR_PREFLIGHT_FAILED' });
    // Both CAs are up: a failover would have been warned and ordered from the second.
    expect(failovers(result)).toEqual([]);
    expect(result.events.some((e) => e.event === 'step' && e.step === 'create order')).toBe(false);
    expect(await aws.read('live/away/metadata.json')).toBeUndefined();
    expect(await record('away')).toMatchObject({ state: 'failed', directoryUrl: first, lastError: { code: 'ERR_PREFLIGHT_FAILED' } });
  });
});
