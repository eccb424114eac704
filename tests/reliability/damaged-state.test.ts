// Damaged state in S3, made for real in the versioned bucket, met by the real CLI: what can be
// healed is healed and said so (a missing or corrupt renewal/_index.json is rebuilt from the
// records), what cannot is refused by name with exit 5 (a record, pointer or lease of the wrong
// shape; account/key.pem gone beside a published account), and `health` fails on each.
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCodes } from '../../container/exit-codes.js';
import { clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

const SUITE = 'damaged-state';
const CERTIFICATES = 'alpha=alpha.example.com beta=beta.example.com,www.beta.example.com';
const INDEX = 'renewal/_index.json';
let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'damaged', extraEnv: { CERTIFICATES } });
  aws = clientsFor(stack);
  const first = await runCli(stack, ['renew']);
  expect(first.code, first.stdout.slice(-1500)).toBe(0);
});
afterAll(async () => stack?.stop());

const rows = (result: CliResult) => Object.fromEntries(result.events.filter((e) => e.event === 'certificate').map((e) => [String(e.name), e]));
const check = (result: CliResult, name: string) => result.events.find((e) => e.event === 'check' && e.check === name) ?? {};
const remove = (key: string) => aws.s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: key }));
const entries = async () => (JSON.parse((await aws.read(INDEX))!) as { entries: Record<string, unknown> }).entries;
const output = (result: CliResult) => `exit ${result.code}\n${result.stdout.slice(-2500)}\n${result.stderr.slice(-1000)}`;

/** The id of the object's current version (kept in the history once it is replaced or deleted). */
async function currentVersion(key: string): Promise<string> {
  const listed = await aws.s3.send(new ListObjectVersionsCommand({ Bucket: aws.bucket, Prefix: key }));
  return listed.Versions!.find((v) => v.Key === key && v.IsLatest === true)!.VersionId!;
}

/** `health` fails, on `name` with a detail matching `detail`. */
async function healthFails(name: string, detail: RegExp): Promise<Record<string, unknown>> {
  const result = await runCli(stack, ['health']);
  expect(result.code, output(result)).toBe(ExitCodes.HEALTH_FAILED);
  const line = check(result, name);
  expect(line, output(result)).toMatchObject({ status: 'fail' });
  expect(String(line.detail)).toMatch(detail);
  return line;
}

async function healthPasses(name: string): Promise<void> {
  const result = await runCli(stack, ['health']);
  expect(check(result, name), output(result)).toMatchObject({ status: 'pass' });
}

describe('renewal/_index.json is derived data', () => {
  it('deleted: health fails on it; renew rebuilds it from the records, says so, and skips what is not due (nothing re-ordered)', async () => {
    const before = await entries();
    await remove(INDEX);
    const line = await healthFails('renewal-index', /^renewal\/_index\.json is missing though 2 records exist in renewal\//);
    expect(String(line.fix)).toMatch(/the next `renew` or `list` rebuilds it/);

    const renewed = await runCli(stack, ['renew']);
    expect(renewed.code, output(renewed)).toBe(0);
    expect(renewed.events.find((e) => e.rebuilt === true)).toMatchObject({ object: INDEX, cause: 'missing', records: 2, message: 'renewal/_index.json was missing; rebuilt it from 2 records in renewal/' });
    expect(rows(renewed)).toMatchObject({ alpha: { action: 'skipped' }, beta: { action: 'skipped' } });
    expect(await entries()).toEqual(before);
    await healthPasses('renewal-index');
    recordReliability({ suite: SUITE, kind: 'fault', class: 'renewal/_index.json deleted (renew rebuilds it)', tried: 1, survived: 1, objectsLost: 0 });
  });

  it('deleted: a forced renewal after the rebuild renews (not a first issue), and list without CERTIFICATES rebuilds it too', async () => {
    await remove(INDEX);
    const forced = await runCli(stack, ['renew', '--force', 'alpha']);
    expect(forced.code, output(forced)).toBe(0);
    expect(rows(forced).alpha).toMatchObject({ action: 'renewed', reason: 'forced' });
    const renewedSerial = String(rows(forced).alpha!.serial);
    expect(await entries()).toMatchObject({ alpha: { serial: renewedSerial }, beta: { state: 'active' } });

    await remove(INDEX);
    const listed = await runCli(stack, ['list'], { CERTIFICATES: '' });
    expect(listed.code, output(listed)).toBe(0);
    expect(listed.events.find((e) => e.rebuilt === true)).toMatchObject({ object: INDEX, cause: 'missing', records: 2 });
    expect(Object.keys(rows(listed)).sort()).toEqual(['alpha', 'beta']);
    expect(Object.keys(await entries()).sort()).toEqual(['alpha', 'beta']);
  });

  it.each([
    ['bad JSON', '{"version":1,"entr', /it is not valid JSON/],
    ['the right JSON of the wrong shape', '{"version":1,"entries":{"alpha":{"state":"fine"}}}', /field entries\.alpha\.state: expected one of pending, issuing, active/],
  ])('corrupt (%s): health names it; renew rebuilds it over that version, which stays in the history', async (label, garbage, why) => {
    const before = await entries();
    await aws.write(INDEX, garbage);
    const damagedVersion = await currentVersion(INDEX);
    await healthFails('renewal-index', why);

    const renewed = await runCli(stack, ['renew']);
    expect(renewed.code, output(renewed)).toBe(0);
    const notice = renewed.events.find((e) => e.rebuilt === true);
    expect(notice).toMatchObject({ object: INDEX, cause: 'corrupt', records: 2 });
    expect(String(notice!.message)).toMatch(
      /^renewal\/_index\.json was corrupt \(s3 object renewal\/_index\.json is corrupt: .*\); rebuilt it from 2 records in renewal\/; its previous content stays in the bucket's version history$/,
    );
    expect(rows(renewed)).toMatchObject({ alpha: { action: 'skipped' }, beta: { action: 'skipped' } });
    expect(await entries()).toEqual(before);
    const kept = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: INDEX, VersionId: damagedVersion }));
    expect(await kept.Body!.transformToString()).toBe(garbage);
    await healthPasses('renewal-index');
    recordReliability({ suite: SUITE, kind: 'fault', class: `renewal/_index.json corrupt: ${label} (rebuilt)`, tried: 1, survived: 1, objectsLost: 0 });
  });

  it('deleted beside a corrupt record: not rebuilt without it (exit 5 naming both), rebuilt once the record is restored', async () => {
    const record = (await aws.read('renewal/beta.json'))!;
    await remove(INDEX);
    await aws.write('renewal/beta.json', '{"name":"beta"');
    try {
      const refused = await runCli(stack, ['renew']);
      expect(refused.code, output(refused)).toBe(ExitCodes.STORAGE_FAILED);
      expect(String(eventOf(refused, 'error').message)).toBe('renewal/_index.json is missing and cannot be rebuilt: s3 object renewal/beta.json is corrupt: it is not valid JSON');
      expect(String(eventOf(refused, 'error').hint)).toMatch(/list-object-versions --bucket "\$CERT_BUCKET" --prefix renewal\/beta\.json/);
      expect(await aws.read(INDEX)).toBeUndefined();
    } finally {
      await aws.write('renewal/beta.json', record);
    }
    const renewed = await runCli(stack, ['renew']);
    expect(renewed.code, output(renewed)).toBe(0);
    expect(Object.keys(await entries()).sort()).toEqual(['alpha', 'beta']);
  });
});

describe('stored objects of the wrong shape are refused by name (exit 5), never an internal error', () => {
  it.each([
    [
      'renewal/beta.json',
      (text: string) => JSON.stringify({ ...JSON.parse(text), domains: 'beta.example.com' }),
      ['renew', '--force', 'beta'],
      /s3 object renewal\/beta\.json is corrupt: field domains: expected a non-empty array, got "beta\.example\.com"/,
    ],
    ['renewal/beta.json', (text: string) => JSON.stringify({ ...JSON.parse(text), name: 'alpha' }), ['show', 'beta'], /s3 object renewal\/beta\.json is corrupt: field name: expected "beta"/],
    [
      'live/alpha/metadata.json',
      (text: string) => JSON.stringify({ ...JSON.parse(text), notAfter: 'soon' }),
      ['renew', '--force', 'alpha'],
      /s3 object live\/alpha\/metadata\.json is corrupt: field notAfter: expected an ISO 8601 date, got "soon"/,
    ],
    ['locks/alpha.json', () => '{"holder":42}', ['renew', '--force', 'alpha'], /s3 object locks\/alpha\.json is corrupt: field holder: expected a non-empty string, got number 42/],
  ])('%s: the command exits 5 naming it and the field, leaves it as it was, and health fails on it', async (key, damage, args, message) => {
    const original = await aws.read(key);
    const garbage = damage(original ?? '{}');
    await aws.write(key, garbage);
    let ok = false;
    try {
      const result = await runCli(stack, args);
      expect(result.code, output(result)).toBe(ExitCodes.STORAGE_FAILED);
      const error = eventOf(result, 'error');
      expect(error.code).toBe('ERR_STORAGE_CORRUPT');
      expect(String(error.message)).toMatch(message);
      expect(String(error.hint)).toMatch(key.startsWith('locks/') ? /delete locks\/alpha\.json/ : new RegExp(`list-object-versions --bucket "\\$CERT_BUCKET" --prefix ${key}`));
      expect(await aws.read(key)).toBe(garbage);
      const line = await healthFails('records', message);
      expect(String(line.fix)).toMatch(key.startsWith('locks/') ? /delete locks\/alpha\.json/ : /copy-object/);
      ok = true;
    } finally {
      if (original === undefined) await remove(key);
      else await aws.write(key, original);
      recordReliability({ suite: SUITE, kind: 'fault', class: `${key} of the wrong shape (refused by name)`, tried: 1, survived: ok ? 1 : 0, objectsLost: 0 });
    }
    const after = await runCli(stack, ['renew']);
    expect(after.code, output(after)).toBe(0);
  });

  it('account/registration.json of the wrong shape: register and health name it and the field', async () => {
    const key = 'account/registration.json';
    const original = (await aws.read(key))!;
    await aws.write(key, JSON.stringify({ ...JSON.parse(original), accounts: [] }));
    try {
      const result = await runCli(stack, ['register']);
      expect(result.code, output(result)).toBe(ExitCodes.STORAGE_FAILED);
      expect(String(eventOf(result, 'error').message)).toBe('s3 object account/registration.json is corrupt: field accounts: expected an object, got an array');
      const line = await healthFails('account', /account\/registration\.json is corrupt: field accounts/);
      expect(String(line.fix)).toMatch(/copy-object/);
    } finally {
      await aws.write(key, original);
    }
  });
});

describe('account/key.pem missing beside a published account', () => {
  const KEY = 'account/key.pem';

  it('is refused by name (exit 5), nothing re-made; health says why; the previous version restores it', async () => {
    const published = await Promise.all(['account/jwk.json', 'account/registration.json'].map((k) => aws.read(k)));
    const keyVersion = await currentVersion(KEY);
    await remove(KEY);

    for (const args of [['register'], ['renew', '--force', 'alpha']]) {
      const result = await runCli(stack, args);
      expect(result.code, output(result)).toBe(ExitCodes.STORAGE_FAILED);
      const error = result.events.find((e) => e.event === 'error' && e.code === 'ERR_STORAGE_CORRUPT')!;
      expect(String(error.message)).toMatch(
        /s3 object account\/key\.pem is missing though account\/jwk\.json and account\/registration\.json are published: a new account key would change the account thumbprint every responder has cached and break any CAA accounturi pin/,
      );
      expect(String(error.hint)).toContain('aws s3api list-object-versions --bucket "$CERT_BUCKET" --prefix account/key.pem');
      expect(String(error.hint)).toContain('aws s3api copy-object --bucket "$CERT_BUCKET" --key account/key.pem --copy-source "$CERT_BUCKET/account/key.pem?versionId=VERSION"');
      expect(String(error.hint)).toContain('register --new-account');
    }
    expect(await aws.read(KEY)).toBeUndefined();
    expect(await Promise.all(['account/jwk.json', 'account/registration.json'].map((k) => aws.read(k)))).toEqual(published);

    const line = await healthFails('account', /account\/key\.pem is missing though/);
    expect(String(line.fix)).toMatch(/copy-object/);
    expect(String(line.fix)).not.toBe('run `register`');

    // What the hint says, through the SDK: copy the version before the delete marker back.
    await aws.s3.send(new CopyObjectCommand({ Bucket: aws.bucket, Key: KEY, CopySource: `${aws.bucket}/${KEY}?versionId=${keyVersion}` }));
    const registered = await runCli(stack, ['register']);
    expect(registered.code, output(registered)).toBe(0);
    expect(eventOf(registered, 'registered')).toMatchObject({ changed: false });
    expect(await Promise.all(['account/jwk.json', 'account/registration.json'].map((k) => aws.read(k)))).toEqual(published);
    recordReliability({ suite: SUITE, kind: 'fault', class: 'account/key.pem deleted beside jwk.json (refused, restored)', tried: 1, survived: 1, objectsLost: 0 });
  });

  it('--new-account belongs to register only; with it, register makes a new account', async () => {
    const misuse = await runCli(stack, ['renew', '--new-account']);
    expect(misuse.code).toBe(ExitCodes.USAGE_OR_CONFIG);
    expect(String(eventOf(misuse, 'error').message)).toBe('renew takes no --new-account: it is an option of `register` only');

    const before = JSON.parse((await aws.read('account/registration.json'))!) as { thumbprint: string };
    await remove(KEY);
    const registered = await runCli(stack, ['register', '--new-account']);
    expect(registered.code, output(registered)).toBe(0);
    const result = eventOf(registered, 'registered');
    expect(result.changed).toBe(true);
    expect(result.thumbprint).not.toBe(before.thumbprint);
    expect(await aws.read(KEY)).toBeDefined();
    expect(JSON.parse((await aws.read('account/registration.json'))!)).toMatchObject({ thumbprint: result.thumbprint });
  });
});
