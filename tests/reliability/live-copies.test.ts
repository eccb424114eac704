// Damaged live copies and damaged archived pairs, made for real in moto with the admin's keys:
// `health` fails on each with the object named; a damaged live copy (truncated, missing, another
// key, a changed bundle.json, a version archived before bundle.json) is rewritten from the archive
// by the next run that names or renews the certificate, which says what it rewrote; an archived
// key that is not its certificate's is refused by name (exit 5) and nothing live changes.
import { generateKeyPairSync } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCodes } from '../../container/exit-codes.js';
import { clientsFor } from '../support/aws.js';
import { liveState } from '../support/invariants.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

const NAME = 'heal';
const LIVE = ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem', 'bundle.json', 'metadata.json'].map((file) => `live/${NAME}/${file}`);

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'live-copies', extraEnv: { CERTIFICATES: `${NAME}=heal.example.com` } });
  aws = clientsFor(stack);
  expect((await runCli(stack, ['register'])).code).toBe(0);
  const issued = await runCli(stack, ['renew']);
  expect(issued.code, issued.stdout.slice(-2000)).toBe(0);
}, 180_000);
afterAll(async () => stack?.stop());

const otherKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
const liveSerial = async () => (JSON.parse((await aws.read(`live/${NAME}/metadata.json`))!) as { serial: string }).serial;
const check = (result: CliResult, name: string) => result.events.find((e) => e.event === 'check' && e.check === name) ?? {};
const messages = (result: CliResult) => result.events.map((e) => (typeof e.message === 'string' ? e.message : ''));
const row = (result: CliResult) => result.events.find((e) => e.event === 'certificate' && e.name === NAME) ?? {};

async function liveObjects(): Promise<(string | undefined)[]> {
  return Promise.all(LIVE.map((key) => aws.read(key)));
}

/** Every live copy is what the archive holds for the version the pointer names. */
async function expectWhole(): Promise<void> {
  const serial = await liveSerial();
  for (const file of ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem', 'bundle.json']) {
    expect(await aws.read(`live/${NAME}/${file}`), file).toBe(await aws.read(`archive/${NAME}/${serial}/${file}`));
  }
  const health = await runCli(stack, ['health']);
  expect(health.code, health.stdout.slice(-3000)).toBe(0);
}

async function expectHealthFails(name: 'live-copies' | 'key-pairs', detail: RegExp, fix: RegExp): Promise<void> {
  const health = await runCli(stack, ['health']);
  expect(health.code, health.stdout.slice(-3000)).toBe(ExitCodes.HEALTH_FAILED);
  expect(check(health, name)).toMatchObject({ status: 'fail' });
  expect(String(check(health, name).detail)).toMatch(detail);
  expect(String(check(health, name).fix)).toMatch(fix);
}

describe('a damaged live copy', () => {
  it('truncated cert.pem: health names it; `renew NAME` rewrites it from the archive without reissuing', async () => {
    const serial = await liveSerial();
    const whole = (await aws.read(`live/${NAME}/cert.pem`))!;
    await aws.write(`live/${NAME}/cert.pem`, whole.slice(0, 100));
    await expectHealthFails('live-copies', new RegExp(`^live/${NAME}/cert\\.pem is truncated \\(100 of ${whole.length} bytes\\)$`), new RegExp(`run \`renew ${NAME}\`: it rewrites them from the archive`));

    const healed = await runCli(stack, ['renew', NAME]);
    expect(healed.code, healed.stdout.slice(-2000)).toBe(0);
    expect(row(healed)).toMatchObject({ action: 'skipped', serial });
    expect(messages(healed)).toContain(`rewrote live/${NAME}/cert.pem from archive/${NAME}/${serial}/cert.pem: it was truncated (100 of ${whole.length} bytes)`);
    await expectWhole();
  }, 60_000);

  it('missing privkey.pem: a forced renewal rewrites it first, then renews with the archived key', async () => {
    const serial = await liveSerial();
    const key = await aws.read(`archive/${NAME}/${serial}/privkey.pem`);
    await aws.s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: `live/${NAME}/privkey.pem` }));
    await expectHealthFails('live-copies', new RegExp(`^live/${NAME}/privkey\\.pem is missing$`), /renew heal/);

    const renewed = await runCli(stack, ['renew', '--force', NAME]);
    expect(renewed.code, renewed.stdout.slice(-2000)).toBe(0);
    expect(row(renewed)).toMatchObject({ action: 'renewed' });
    expect(messages(renewed)).toContain(`rewrote live/${NAME}/privkey.pem from archive/${NAME}/${serial}/privkey.pem: it was missing`);
    expect(await liveSerial()).not.toBe(serial);
    expect(await aws.read(`live/${NAME}/privkey.pem`)).toBe(key);
    await expectWhole();
  }, 60_000);

  it('another key in privkey.pem and a changed bundle.json: both named, both rewritten', async () => {
    const serial = await liveSerial();
    const bundle = JSON.parse((await aws.read(`live/${NAME}/bundle.json`))!) as Record<string, unknown>;
    await aws.write(`live/${NAME}/privkey.pem`, otherKey());
    await aws.write(`live/${NAME}/bundle.json`, JSON.stringify({ ...bundle, privateKey: otherKey() }));
    await expectHealthFails('live-copies', new RegExp(`live/${NAME}/privkey\\.pem is different from the archived version; live/${NAME}/bundle\\.json is different from the archived version`), /renew heal/);

    const healed = await runCli(stack, ['renew', NAME]);
    expect(healed.code, healed.stdout.slice(-2000)).toBe(0);
    expect(messages(healed)).toEqual(
      expect.arrayContaining([
        `rewrote live/${NAME}/privkey.pem from archive/${NAME}/${serial}/privkey.pem: it was different from the archived version`,
        `rewrote live/${NAME}/bundle.json from archive/${NAME}/${serial}/bundle.json: it was different from the archived version`,
      ]),
    );
    expect(String(row(healed).reason)).toMatch(`rewrote live/${NAME}/privkey.pem, live/${NAME}/bundle.json from the archive`);
    await expectWhole();
  }, 60_000);

  it('a version archived before bundle.json existed: health says it is missing; `renew NAME` archives it and copies it to live/', async () => {
    const serial = await liveSerial();
    const pointer = JSON.parse((await aws.read(`live/${NAME}/metadata.json`))!) as Record<string, unknown>;
    const { bundleKey: _dropped, ...older } = pointer;
    await aws.write(`live/${NAME}/metadata.json`, `${JSON.stringify(older, null, 2)}\n`);
    for (const key of [`archive/${NAME}/${serial}/bundle.json`, `live/${NAME}/bundle.json`]) await aws.s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: key }));
    await expectHealthFails('live-copies', new RegExp(`^live/${NAME}/bundle\\.json is missing$`), /renew heal/);

    const healed = await runCli(stack, ['renew', NAME]);
    expect(healed.code, healed.stdout.slice(-2000)).toBe(0);
    expect(messages(healed)).toContain(`rewrote live/${NAME}/bundle.json from archive/${NAME}/${serial}/bundle.json: it was missing`);
    const archived = JSON.parse((await aws.read(`archive/${NAME}/${serial}/bundle.json`))!) as Record<string, unknown>;
    expect(archived).toMatchObject({ name: NAME, serial, certificate: await aws.read(`archive/${NAME}/${serial}/cert.pem`), privateKey: await aws.read(`archive/${NAME}/${serial}/privkey.pem`) });
    await expectWhole();
    recordReliability({
      suite: 'live-copies',
      kind: 'fault',
      class: 'damaged live copy (truncated, missing, another key, changed bundle, no bundle yet) rewritten from the archive',
      tried: 4,
      survived: 4,
      objectsLost: 0,
    });
  }, 60_000);
});

describe('an archived pair that does not match', () => {
  it('is refused by name (exit 5) by renew and issue, health fails on it, and nothing live changes', async () => {
    const serial = await liveSerial();
    const archivedKey = `archive/${NAME}/${serial}/privkey.pem`;
    const original = (await aws.read(archivedKey))!;
    const before = await liveObjects();
    const stateBefore = await liveState(aws, NAME);
    await aws.write(archivedKey, otherKey());
    try {
      const pairMessage = `s3 objects archive/${NAME}/${serial}/cert.pem and ${archivedKey} do not make a pair: the private key is not the key of its certificate; nothing was published, copied or exported`;
      await expectHealthFails(
        'key-pairs',
        new RegExp(`^${NAME}: ${pairMessage.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
        new RegExp(`restore the earlier versions of archive/${NAME}/${serial}/cert\\.pem and ${archivedKey.replace(/\./g, '\\.')}`),
      );

      for (const args of [
        ['renew', '--force', NAME],
        ['issue', '--name', NAME, '--domain', 'heal.example.com'],
      ]) {
        const refused = await runCli(stack, args);
        expect(refused.code, `${args.join(' ')}: ${refused.stdout.slice(-2000)}`).toBe(ExitCodes.STORAGE_FAILED);
        const error = eventOf(refused, 'error');
        expect(error.code).toBe('ERR_STORAGE_CORRUPT');
        expect(String(error.message)).toContain(pairMessage);
        expect(String(error.message)).not.toMatch(/BEGIN|PRIVATE KEY/);
      }
      // The previous certificate is still live, whole, and in ACM.
      expect(await liveObjects()).toEqual(before);
      const stateAfter = await liveState(aws, NAME);
      expect(stateAfter).toMatchObject({ serial: stateBefore.serial, acmSerial: stateBefore.acmSerial, recordState: stateBefore.recordState });
      expect(stateAfter.archivedSerials).toEqual(stateBefore.archivedSerials);
    } finally {
      await aws.write(archivedKey, original);
    }
    await expectWhole();
    recordReliability({ suite: 'live-copies', kind: 'fault', class: "archived key that is not its certificate's: refused by name, nothing live changed", tried: 2, survived: 2, objectsLost: 0 });
  }, 90_000);
});
