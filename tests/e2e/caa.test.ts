// CAA through the real CLI on a current pebble (its directory lists meta.caaIdentities; Debian's
// 2.4 lists none) with the records served by the stack's own challtestsrv (/add-caa): `register`
// prints the pin, a name whose CAA (at the name or a parent) forbids our CA, our account or
// http-01 stops in the pre-flight with exit 9 and cause `caa`, and a name pinned to us issues.
// Pebble itself checks no CAA, so the pre-flight is what is tested here.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { eventOf, repoRoot, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { challtestsrv, metricLines } from '../support/loopback.js';

let stack: LocalStack;
let accountUrl: string;
let pin: string;

async function addCaa(host: string, ...policies: { tag: string; value: string }[]): Promise<void> {
  await challtestsrv(stack, '/add-caa', { host, policies });
}

beforeAll(async () => {
  stack = await startLocalStack({
    name: 'caa',
    // moto's ACM needs a subject CN, which a current pebble no longer sets (ACM import is another part's test).
    extraEnv: { PEBBLE_BIN: `${repoRoot}/.local/bin/pebble-current`, ACM_IMPORT: 'false' },
  });
}, 180_000);
afterAll(async () => stack?.stop());

function preflightLine(result: CliResult, domain: string): Record<string, unknown> {
  const found = result.events.find((e) => e.event === 'preflight' && e.domain === domain);
  if (found === undefined) throw new Error(`no preflight line for ${domain}:\n${result.stdout}\n${result.stderr}`);
  return found;
}

async function refusedByCaa(domain: string): Promise<{ line: Record<string, unknown>; message: string }> {
  const name = domain.split('.')[0]!;
  const result = await runCli(stack, ['issue', '--name', name, '--domain', domain]);
  expect(result.code, result.stdout + result.stderr).toBe(9);
  const error = eventOf(result, 'error');
  expect(error.code).toBe('ERR_PREFLIGHT_FAILED');
  // Stopped before any order: the account step only, nothing live.
  expect(result.events.filter((e) => e.event === 'step').map((e) => e.step)).toEqual(['account']);
  expect(await clientsFor(stack).read(`live/${name}/metadata.json`)).toBeUndefined();
  const line = preflightLine(result, domain);
  expect(line).toMatchObject({ ok: false, cause: 'caa' });
  expect(metricLines(result.stdout, 'ValidationFailures')).toEqual([expect.objectContaining({ Stage: 'preflight', Cause: 'caa', domain })]);
  const message = String(error.message);
  expect(message).toContain(`${domain}: CAA forbids this CA, account or method: `);
  expect(message).toMatch(/what to do: change the CAA record named above .*`register` prints the exact record/);
  return { line, message };
}

describe('register', () => {
  it('prints the CAA record that pins this account at this CA, and publishes it in account/caa.json', async () => {
    const result = await runCli(stack, ['register']);
    expect(result.code, result.stderr).toBe(0);
    const registered = eventOf(result, 'registered');
    accountUrl = String(registered.account);
    expect(accountUrl).toMatch(/^https:\/\/localhost:\d+\/my-account\//);
    pin = `0 issue "pebble.letsencrypt.org; accounturi=${accountUrl}; validationmethods=http-01"`;
    expect(registered.caa).toEqual([pin]);
    expect(registered).not.toHaveProperty('caaNote');
    expect(registered.caaRecords).toBe(`s3://${stack.env.CERT_BUCKET}/account/caa.json`);
    const published = JSON.parse((await clientsFor(stack).read('account/caa.json'))!) as Record<string, unknown>;
    expect(published).toMatchObject({ cas: [{ directoryUrl: stack.env.ACME_DIRECTORY, accountUrl, caaIdentities: ['pebble.letsencrypt.org'], records: [pin] }] });
  });

  it('run again, prints the same record and rewrites nothing', async () => {
    const before = await clientsFor(stack).read('account/caa.json');
    const result = await runCli(stack, ['register']);
    expect(result.code, result.stderr).toBe(0);
    expect(eventOf(result, 'registered')).toMatchObject({ changed: false, caa: [pin] });
    expect(await clientsFor(stack).read('account/caa.json')).toBe(before);
  });
  it('prints one record per CA the key is registered with, each with the account URL that CA gave, without asking the other CA again', async () => {
    // The same pebble under a second directory URL is a second CA to us: its account URLs carry that host.
    const second = stack.env.ACME_DIRECTORY!.replace('https://localhost:', 'https://127.0.0.1:');
    const result = await runCli(stack, ['register'], { ACME_DIRECTORY: second });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const secondUrl = String(eventOf(result, 'registered').account);
    expect(secondUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
    expect(eventOf(result, 'registered').caa).toEqual([`${pin}  (${stack.env.ACME_DIRECTORY})`, `0 issue "pebble.letsencrypt.org; accounturi=${secondUrl}; validationmethods=http-01"  (${second})`]);
    const published = JSON.parse((await clientsFor(stack).read('account/caa.json'))!) as { cas: { directoryUrl: string; note?: string }[] };
    expect(published.cas.map((ca) => [ca.directoryUrl, ca.note])).toEqual([
      [stack.env.ACME_DIRECTORY, undefined],
      [second, undefined],
    ]);
  });
});

describe('the pre-flight reads CAA as the CA will', () => {
  it('refuses a name whose CAA names another CA only', async () => {
    await addCaa('other-ca.example.com', { tag: 'issue', value: 'sectigo.com' });
    const { line } = await refusedByCaa('other-ca.example.com');
    expect(String(line.summary)).toBe('CAA at other-ca.example.com lets only sectigo.com issue for other-ca.example.com (issue), not this CA (pebble.letsencrypt.org)');
  });

  it("refuses a name whose parent's CAA pins our CA to another account", async () => {
    await addCaa('pinned-elsewhere.example', { tag: 'issue', value: 'pebble.letsencrypt.org; accounturi=https://localhost/my-account/other' });
    const { line } = await refusedByCaa('www.pinned-elsewhere.example');
    expect(String(line.summary)).toBe(`CAA at pinned-elsewhere.example lets this CA issue for www.pinned-elsewhere.example only to accounturi=https://localhost/my-account/other, not to our account ${accountUrl}`);
  });

  it('refuses a name whose CAA allows our account by DNS-01 only', async () => {
    await addCaa('dns-only.example.com', { tag: 'issue', value: `pebble.letsencrypt.org; accounturi=${accountUrl}; validationmethods=dns-01` });
    const { line } = await refusedByCaa('dns-only.example.com');
    expect(String(line.summary)).toMatch(/only by validationmethods=dns-01, not http-01$/);
  });

  it('issues for a name pinned to us with the record register printed, saying which record allowed it', async () => {
    const value = /^0 issue "(.*)"$/.exec(pin)![1]!;
    await addCaa('pinned.example.org', { tag: 'issue', value: 'sectigo.com' }, { tag: 'issue', value });
    const result = await runCli(stack, ['issue', '--name', 'pinned', '--domain', 'shop.pinned.example.org']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(preflightLine(result, 'shop.pinned.example.org')).toMatchObject({ ok: true, caa: { at: 'pinned.example.org', by: `0 issue "${value}"` } });
    expect(eventOf(result, 'issued').names).toEqual(['shop.pinned.example.org']);
  });

  it('is the only CAA check here: with --skip-preflight pebble, which checks no CAA, issues anyway', async () => {
    // A CA that does check answers urn:ietf:params:acme:error:caa instead, diagnosed as `caa` (tests/core/diagnosis.test.ts).
    const result = await runCli(stack, ['issue', '--name', 'unchecked', '--domain', 'other-ca.example.com', '--skip-preflight']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('issues for a name with no CAA anywhere up the tree', async () => {
    const result = await runCli(stack, ['issue', '--name', 'free', '--domain', 'free.example.net']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(preflightLine(result, 'free.example.net')).toMatchObject({ ok: true, caa: { at: null, by: null } });
  });
});

describe('health', () => {
  const check = (result: CliResult, name: string) => result.events.find((e) => e.event === 'check' && e.check === name) ?? {};

  it('shows the pin with the account, and passes a name CAA lets us issue for', async () => {
    const result = await runCli(stack, ['health', '--domain', 'shop.pinned.example.org']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(String(check(result, 'account').detail)).toContain(`registered at the CA as ${accountUrl} (thumbprint `);
    expect(String(check(result, 'account').detail)).toMatch(new RegExp(`; CAA pin: ${pin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(check(result, 'responder')).toMatchObject({ status: 'pass' });
  });

  it('fails the responder check for a name whose CAA forbids us, naming the cause', async () => {
    const result = await runCli(stack, ['health', '--domain', 'other-ca.example.com']);
    expect(result.code, result.stdout + result.stderr).toBe(10);
    expect(check(result, 'responder')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^other-ca\.example\.com: CAA forbids this CA, account or method: CAA at other-ca\.example\.com lets only sectigo\.com/),
    });
    expect(String(check(result, 'responder').fix)).toMatch(/`register` prints the exact record/);
  });
});

describe('a new account (the key lost, `register --new-account`)', () => {
  it('says the pin moved, prints the new one, and the names pinned to the old account stop in the pre-flight', async () => {
    const aws = clientsFor(stack);
    await aws.s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: 'account/key.pem' }));
    const result = await runCli(stack, ['register', '--new-account']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const registered = eventOf(result, 'registered');
    const newUrl = String(registered.account);
    expect(newUrl).not.toBe(accountUrl);
    expect(eventOf(result, 'caa-pin-moved')).toMatchObject({ level: 'WARN', directoryUrl: stack.env.ACME_DIRECTORY, from: accountUrl, to: newUrl });
    expect(registered.caa).toEqual([`0 issue "pebble.letsencrypt.org; accounturi=${newUrl}; validationmethods=http-01"`]);
    expect(JSON.parse((await aws.read('account/caa.json'))!)).toMatchObject({ cas: [{ accountUrl: newUrl }] });

    // The responder caches the old thumbprint for JWK_REFRESH_SECONDS: a fresh one answers for the new key at once.
    await stack.service('stop', 'responder');
    await stack.service('start', 'responder');
    // pinned.example.org still names the old account: what every CA does from 2027-03-15, the pre-flight does now.
    const { line } = await refusedByCaa('again.pinned.example.org');
    expect(String(line.summary)).toBe(`CAA at pinned.example.org lets this CA issue for again.pinned.example.org only to accounturi=${accountUrl}, not to our account ${newUrl}`);
  });
});
