// The declared set in S3 on the local stack: `declare` writes declared/NAME.json and its summary,
// `renew` issues it, `undeclare` leaves it renewed as undeclared, CERTIFICATES wins a conflict,
// a damaged declaration is refused by object and field, a lost summary is rebuilt. Real CLI
// processes (as the task role, moto enforcing IAM), real pebble and moto.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { asAdmin, eventOf, runCli, startCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;

const rows = (result: CliResult) => result.events.filter((e) => e.event === 'certificate');
const row = (result: CliResult, name: string) => rows(result).find((r) => r.name === name);
const warnings = (result: CliResult) => result.events.filter((e) => e.event === 'warning').map((e) => String(e.message));
const declare = (name: string, ...rest: string[]) => ['declare', '--name', name, ...rest];
const out = (result: CliResult) => `${result.stdout.slice(-3000)}\n${result.stderr.slice(-1500)}`;
const readJson = async <T>(key: string) => JSON.parse((await aws.read(key))!) as T;
const remove = (key: string) => aws.s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: key }));

beforeAll(async () => {
  stack = await startLocalStack({ name: 'declarations' });
  aws = clientsFor(stack);
  const registered = await runCli(stack, ['register']);
  expect(registered.code, out(registered)).toBe(0);
}, 300_000);
afterAll(async () => stack?.stop());

describe('declare, then renew', () => {
  it('writes the declaration with the caller as owner, and its summary entry; nothing is ordered', async () => {
    const result = await runCli(stack, declare('shop', '--domain', 'shop.example.com', '--domain', 'WWW.shop.example.com', '--key-type', 'ec-p256', '--export', 'none'));
    expect(result.code, out(result)).toBe(0);
    const owner = String(eventOf(result, 'declared').owner);
    // The task role's session, as STS names it (GetCallerIdentity).
    expect(owner).toMatch(new RegExp(`^arn:aws:sts::${stack.iam!.state.account}:assumed-role/`));
    const stored = await readJson<Record<string, unknown>>('declared/shop.json');
    expect(stored).toMatchObject({ version: 1, name: 'shop', domains: ['shop.example.com', 'www.shop.example.com'], keyType: 'ec-p256', exports: [], owner, declaredBy: owner });
    expect((await readJson<{ entries: Record<string, unknown> }>('declared/_index.json')).entries).toEqual({ shop: stored });
    expect(await aws.list('renewal/')).toEqual([]);
  });

  it('is listed and shown as pending, declared in the store', async () => {
    const result = await runCli(stack, ['list']);
    expect(result.code, out(result)).toBe(0);
    expect(row(result, 'shop')).toMatchObject({ state: 'pending', declaredIn: 'store', names: 'shop.example.com +1' });
    const shown = await runCli(stack, ['show', 'shop']);
    expect(shown.code, out(shown)).toBe(0);
    expect(eventOf(shown, 'certificate')).toMatchObject({ name: 'shop', state: 'pending', declared: true, declaredIn: 'store', domains: ['shop.example.com', 'www.shop.example.com'] });
  });

  it('is issued by the next renew, as a CERTIFICATES entry would be', async () => {
    const result = await runCli(stack, ['renew']);
    expect(result.code, out(result)).toBe(0);
    expect(row(result, 'shop')).toMatchObject({ action: 'issued', reason: 'not issued yet' });
    const record = await readJson<{ domains: string[]; keyType: string; acm: { certificateArn: string }[] }>('renewal/shop.json');
    expect(record).toMatchObject({ domains: ['shop.example.com', 'www.shop.example.com'], keyType: 'ec-p256' });
    expect(record.acm[0]!.certificateArn).toMatch(/^arn:aws:acm:/);
    const again = await runCli(stack, ['renew']);
    expect(row(again, 'shop')).toMatchObject({ action: 'skipped' });
    expect(warnings(again)).toEqual([]);
  });

  it('keeps the owner when declared again by someone else, and records who did', async () => {
    const first = await readJson<{ owner: string }>('declared/shop.json');
    const result = await runCli(stack, declare('shop', '--domain', 'shop.example.com', '--domain', 'www.shop.example.com', '--key-type', 'ec-p256', '--export', 'none'), asAdmin(stack));
    expect(result.code, out(result)).toBe(0);
    expect(eventOf(result, 'declared')).toMatchObject({ owner: first.owner, declaredBy: stack.iam!.state.adminArn, replaced: true });
  });

  it('certonly declares and issues in the same run', async () => {
    const result = await runCli(stack, ['certonly', '--name', 'blog', '--domain', 'blog.example.com']);
    expect(result.code, out(result)).toBe(0);
    expect(row(result, 'blog')).toMatchObject({ action: 'issued' });
    expect(await aws.read('declared/blog.json')).toBeDefined();
    expect(await aws.list('live/blog/')).toContain('live/blog/bundle.json');
  });
});

describe('bad input', () => {
  it('refuses a bad declaration naming each option (exit 2) and writes nothing', async () => {
    const before = await aws.list('declared/');
    const result = await runCli(stack, declare('bad', '--domain', '*.bad.example.com', '--key-type', 'rsa-1024', '--region', 'mars'));
    expect(result.code).toBe(2);
    const message = String(eventOf(result, 'error').message);
    expect(message).toMatch(/^declaration of "bad" is not valid:/);
    expect(message).toMatch(/--domain: domain "\*\.bad\.example\.com" is not valid/);
    expect(message).toMatch(/--key-type "rsa-1024": expected rsa-2048 or ec-p256/);
    expect(message).toMatch(/--region "mars"/);
    expect(await aws.list('declared/')).toEqual(before);
  });

  it('refuses to undeclare what the store does not declare (exit 8)', async () => {
    const result = await runCli(stack, ['undeclare', 'nothing-here']);
    expect(result.code).toBe(8);
    expect(String(eventOf(result, 'error').message)).toBe('"nothing-here" is not declared in the store (declared/nothing-here.json does not exist)');
  });

  it('refuses to delete what is still declared in the store', async () => {
    const result = await runCli(stack, ['delete', 'blog']);
    expect(result.code).toBe(2);
    expect(eventOf(result, 'error')).toMatchObject({ message: '"blog" is still declared in declared/blog.json; the next renew would issue it again', hint: '`undeclare blog` first, then delete' });
    expect(await aws.read('renewal/blog.json')).toBeDefined();
  });
});

describe('CERTIFICATES and the store together', () => {
  it('lets CERTIFICATES win a conflict, warning by name and field', async () => {
    const declared = await runCli(stack, declare('api', '--domain', 'api.example.com', '--domain', 'store.api.example.com'));
    expect(declared.code, out(declared)).toBe(0);
    const result = await runCli(stack, ['renew'], { CERTIFICATES: 'api=api.example.com' });
    expect(result.code, out(result)).toBe(0);
    expect(warnings(result)).toContain('"api" is declared in CERTIFICATES and in declared/api.json with a different domains: CERTIFICATES wins (it is what was deployed); `undeclare api` or make the two agree');
    expect((await readJson<{ domains: string[] }>('renewal/api.json')).domains).toEqual(['api.example.com']);
    const listed = await runCli(stack, ['list'], { CERTIFICATES: 'api=api.example.com' });
    expect(rows(listed).map((r) => [r.name, r.declaredIn])).toEqual([
      ['api', 'both'],
      ['blog', 'store'],
      ['shop', 'store'],
    ]);
  });

  it('undeclared, a certificate is still renewed with the warning, until delete', async () => {
    const result = await runCli(stack, ['undeclare', 'shop']);
    expect(result.code, out(result)).toBe(0);
    expect(await aws.read('declared/shop.json')).toBeUndefined();
    expect(Object.keys((await readJson<{ entries: Record<string, unknown> }>('declared/_index.json')).entries).sort()).toEqual(['api', 'blog']);
    const renewed = await runCli(stack, ['renew']);
    expect(renewed.code, out(renewed)).toBe(0);
    expect(warnings(renewed)).toContain('shop is not declared: `delete shop` to stop renewing it');
    expect(row(renewed, 'shop')).toMatchObject({ action: 'skipped' });
    const listed = await runCli(stack, ['list']);
    expect(row(listed, 'shop')).toMatchObject({ declared: false, declaredIn: 'no' });
  });
});

describe('a declaration the summary does not list yet (a run that died between the two writes)', () => {
  it('is found when renew names it, added to the summary, and issued', async () => {
    const owner = 'arn:aws:iam::123456789012:user/someone';
    await aws.write('declared/late.json', JSON.stringify({ version: 1, name: 'late', domains: ['late.example.com'], owner, declaredBy: owner, declaredAt: '2026-12-01T00:00:00Z' }));
    const result = await runCli(stack, ['renew', 'late']);
    expect(result.code, out(result)).toBe(0);
    expect(result.events.find((e) => e.healed === true)).toMatchObject({ name: 'late', message: 'declared/late.json was not in declared/_index.json; added it' });
    expect(row(result, 'late')).toMatchObject({ action: 'issued' });
    expect((await readJson<{ entries: Record<string, unknown> }>('declared/_index.json')).entries.late).toMatchObject({ owner });
    expect((await runCli(stack, ['undeclare', 'late'])).code).toBe(0);
    // Undeclared, `delete` takes it away (it refused while declared).
    const deleted = await runCli(stack, ['delete', 'late']);
    expect(deleted.code, out(deleted)).toBe(0);
    expect(await aws.read('renewal/late.json')).toBeUndefined();
  });
});

describe('declarations written at once', () => {
  it('all land in the summary, and two of the same certificate both succeed, the first its owner', async () => {
    const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const runs = [
      ...names.map((name) => startCli(stack, declare(name, '--domain', `${name}.example.com`))),
      startCli(stack, declare('same', '--domain', 'same.example.com')),
      startCli(stack, declare('same', '--domain', 'same.example.com', '--domain', 'www.same.example.com'), asAdmin(stack)),
    ];
    const results = await Promise.all(runs.map((r) => r.done));
    for (const result of results) expect(result.code, out(result)).toBe(0);
    const summary = await readJson<{ entries: Record<string, { owner: string; domains: string[] }> }>('declared/_index.json');
    for (const name of [...names, 'same']) expect(summary.entries[name], name).toBeDefined();
    const same = await readJson<{ owner: string; domains: string[]; declaredBy: string }>('declared/same.json');
    // The summary holds what the object holds, whichever wrote last.
    expect(summary.entries.same).toEqual(same);
    const owners = results.slice(-2).map((r) => String(eventOf(r, 'declared').owner));
    expect(owners[0]).toBe(owners[1]);
    expect(same.owner).toBe(owners[0]);
    for (const name of [...names, 'same']) expect((await runCli(stack, ['undeclare', name])).code).toBe(0);
  });
});

describe('the summary is derived data', () => {
  it('is rebuilt from declared/*.json when missing, and said so', async () => {
    await remove('declared/_index.json');
    const result = await runCli(stack, ['renew']);
    expect(result.code, out(result)).toBe(0);
    expect(result.events.find((e) => e.object === 'declared/_index.json')).toMatchObject({
      rebuilt: true,
      cause: 'missing',
      declarations: 2,
      message: 'declared/_index.json was missing; rebuilt it from 2 declarations in declared/',
    });
    expect(Object.keys((await readJson<{ entries: Record<string, unknown> }>('declared/_index.json')).entries).sort()).toEqual(['api', 'blog']);
    expect(rows(result).map((r) => [r.name, r.action])).toEqual([
      ['api', 'skipped'],
      ['blog', 'skipped'],
      ['shop', 'skipped'],
    ]);
  });

  it('is rebuilt when corrupt', async () => {
    await aws.write('declared/_index.json', '{"version": 1, "entries": {"blog": {}}}');
    const result = await runCli(stack, ['list']);
    expect(result.code, out(result)).toBe(0);
    expect(result.events.find((e) => e.object === 'declared/_index.json')).toMatchObject({ rebuilt: true, cause: 'corrupt' });
    expect(rows(result).map((r) => r.name)).toEqual(['api', 'blog', 'shop']);
  });

  it('refuses to rebuild over a damaged declaration, naming the object and field (exit 5), and changes nothing', async () => {
    await aws.write('declared/broken.json', JSON.stringify({ version: 1, name: 'broken', domains: [], owner: 'x', declaredBy: 'x', declaredAt: '2026-12-01T00:00:00Z' }));
    await remove('declared/_index.json');
    const records = await Promise.all(['api', 'blog', 'shop'].map((name) => aws.read(`renewal/${name}.json`)));
    const result = await runCli(stack, ['renew']);
    expect(result.code).toBe(5);
    expect(String(eventOf(result, 'error').message)).toBe('declared/_index.json is missing and cannot be rebuilt: s3 object declared/broken.json is corrupt: field domains: expected a non-empty array, got an array');
    expect(await Promise.all(['api', 'blog', 'shop'].map((name) => aws.read(`renewal/${name}.json`)))).toEqual(records);
    expect(await aws.read('declared/_index.json')).toBeUndefined();
    const health = await runCli(stack, ['health', '--domain', 'shop.example.com']);
    expect(health.events.find((e) => e.check === 'records')).toMatchObject({ status: 'fail', detail: expect.stringContaining('s3 object declared/broken.json is corrupt: field domains') });
    // Declaring it again is refused too (it would overwrite the damaged object): restored, it is issued.
    const again = await runCli(stack, ['certonly', '--name', 'broken', '--domain', 'broken.example.com']);
    expect(again.code).toBe(5);
    expect(String(eventOf(again, 'error').message)).toMatch(/declared\/broken\.json is corrupt: field domains/);
    await aws.write('declared/broken.json', JSON.stringify({ version: 1, name: 'broken', domains: ['broken.example.com'], owner: 'x', declaredBy: 'x', declaredAt: '2026-12-01T00:00:00Z' }));
    const renewed = await runCli(stack, ['renew']);
    expect(renewed.code, out(renewed)).toBe(0);
    expect(row(renewed, 'broken')).toMatchObject({ action: 'issued' });
    const healthy = await runCli(stack, ['health', '--domain', 'shop.example.com']);
    expect(healthy.events.find((e) => e.check === 'records')).toMatchObject({ status: 'pass', detail: expect.stringContaining('3 declaration(s)') });
  });
});
