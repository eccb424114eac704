// The lifecycle on the local stack: a declarative set of 22 certificates reconciled in one run,
// a second run that does nothing, a changed name set, revocation seen by pebble, two issuers at
// once, delete refusing and then forgetting. Real CLI processes, real pebble and moto.
import { X509Certificate } from 'node:crypto';
import { DescribeCertificateCommand, GetCertificateCommand } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { pebbleCertStatus } from '../support/pebble.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;

const COUNT = 22;
const names = Array.from({ length: COUNT }, (_, i) => `site${String(i).padStart(2, '0')}`);
const entry = (name: string) => `${name}=${name}.example.com,www.${name}.example.com`;
const CERTIFICATES = names.map(entry).join('\n');

const rows = (result: CliResult) => result.events.filter((e) => e.event === 'certificate');
const action = (result: CliResult, name: string) => rows(result).find((r) => r.name === name)?.action;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'lifecycle', extraEnv: { CERTIFICATES } });
  aws = clientsFor(stack);
});
afterAll(async () => stack?.stop());

describe('renew with an empty set', () => {
  it('refuses with a clear error and writes nothing', async () => {
    const result = await runCli(stack, ['renew'], { CERTIFICATES: '' });
    expect(result.code).toBe(2);
    expect(String(eventOf(result, 'error').message)).toMatch(/there are no certificates to renew/);
    expect(await aws.list('renewal/')).toEqual([]);
  });
});

describe('a set of 22 certificates', () => {
  it('is issued in one run, each reported', async () => {
    const result = await runCli(stack, ['renew']);
    expect(result.code, result.stderr + result.stdout.slice(-2000)).toBe(0);
    expect(rows(result)).toHaveLength(COUNT);
    expect(new Set(rows(result).map((r) => r.action))).toEqual(new Set(['issued']));
    expect(eventOf(result, 'renew-summary')).toMatchObject({ certificates: COUNT, issued: COUNT, failed: 0 });
  });

  it('is left alone by a second run: nothing issued, nothing written', async () => {
    const archiveBefore = await aws.list('archive/');
    const result = await runCli(stack, ['renew']);
    expect(result.code, result.stderr).toBe(0);
    expect(eventOf(result, 'renew-summary')).toMatchObject({ skipped: COUNT, issued: 0, renewed: 0 });
    expect(rows(result).every((r) => /not due until/.test(String(r.reason)))).toBe(true);
    expect(await aws.list('archive/')).toEqual(archiveBefore);
    expect(result.events.some((e) => e.event === 'step')).toBe(false);
  });

  it('says what a dry run would do without doing it', async () => {
    const result = await runCli(stack, ['renew', '--dry-run', '--force', 'site05']);
    expect(result.code).toBe(0);
    expect(action(result, 'site05')).toBe('would-issue');
    expect(await aws.list('archive/site05/')).toHaveLength(5); // four PEMs and bundle.json
  });

  it('is listed with state, expiry, next renewal and ACM ARN', async () => {
    const result = await runCli(stack, ['list']);
    expect(result.code).toBe(0);
    const listed = rows(result);
    expect(listed.map((r) => r.name)).toEqual(names);
    for (const row of listed) {
      expect(row).toMatchObject({ state: 'active', names: expect.stringMatching(/^site\d\d\.example\.com \+1$/) });
      expect(Number(row.daysLeft)).toBeGreaterThan(1000);
      expect(String(row.acmArn)).toMatch(/^arn:aws:acm:/);
      expect(String(row.nextRenewal)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    }
  });

  it('is shown in full for one certificate, with its history', async () => {
    const result = await runCli(stack, ['show', 'site03']);
    expect(result.code).toBe(0);
    const shown = eventOf(result, 'certificate');
    expect(shown).toMatchObject({ name: 'site03', state: 'active', domains: ['site03.example.com', 'www.site03.example.com'], renewalRule: '1/3 of lifetime left' });
    expect((shown.history as string[]).map((h) => h.split(/\s+/)[1])).toEqual(['pending', 'issuing', 'active']);
  });
});

describe('changing the names of a certificate', () => {
  it('reissues it into the same ACM ARN and leaves the others alone', async () => {
    const before = JSON.parse((await aws.read('renewal/site01.json'))!) as { acm: { certificateArn: string }[]; serial: string };
    const changed = CERTIFICATES.replace(entry('site01'), 'site01=site01.example.com,api.site01.example.com,www.site01.example.com');
    const result = await runCli(stack, ['renew'], { CERTIFICATES: changed });
    expect(result.code, result.stderr).toBe(0);
    expect(rows(result).find((r) => r.name === 'site01')).toMatchObject({ action: 'renewed', reason: 'the set of names changed' });
    expect(eventOf(result, 'renew-summary')).toMatchObject({ renewed: 1, skipped: COUNT - 1 });

    const after = JSON.parse((await aws.read('renewal/site01.json'))!) as { acm: { certificateArn: string }[]; serial: string };
    expect(after.acm[0]!.certificateArn).toBe(before.acm[0]!.certificateArn);
    expect(after.serial).not.toBe(before.serial);
    const inAcm = await aws.acm.send(new GetCertificateCommand({ CertificateArn: after.acm[0]!.certificateArn }));
    expect(new X509Certificate(inAcm.Certificate!).subjectAltName).toBe('DNS:site01.example.com, DNS:api.site01.example.com, DNS:www.site01.example.com');
  });
});

describe('revocation', () => {
  it('is seen by the CA and recorded; the next renew issues a replacement into the same ARN', async () => {
    const record = JSON.parse((await aws.read('renewal/site02.json'))!) as { serial: string; acm: { certificateArn: string }[] };
    const result = await runCli(stack, ['revoke', 'site02', '--reason', 'keyCompromise']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(await pebbleCertStatus(stack, record.serial)).toMatchObject({ Status: 'Revoked', Reason: 1 });
    expect(JSON.parse((await aws.read('renewal/site02.json'))!)).toMatchObject({ state: 'revoked' });

    const renewed = await runCli(stack, ['renew', 'site02']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(rows(renewed)[0]).toMatchObject({ name: 'site02', action: 'renewed', reason: 'the certificate was revoked' });
    const after = JSON.parse((await aws.read('renewal/site02.json'))!) as { serial: string; state: string; acm: { certificateArn: string }[] };
    expect(after.state).toBe('active');
    expect(after.acm[0]!.certificateArn).toBe(record.acm[0]!.certificateArn);
    expect(await pebbleCertStatus(stack, after.serial)).toMatchObject({ Status: 'Valid' });
  });

  it('refuses an unknown reason', async () => {
    const result = await runCli(stack, ['revoke', 'site02', '--reason', 'bored']);
    expect(result.code).toBe(2);
    expect(String(eventOf(result, 'error').message)).toMatch(/--reason "bored" is not valid/);
  });
});

describe('two issuers at once on the same certificate', () => {
  it('lets one work at a time: the other finds the lease held or runs after it, and the archive holds exactly one version per renewal', async () => {
    const before = await aws.list('archive/site04/');
    const [first, second] = await Promise.all([runCli(stack, ['renew', '--force', 'site04']), runCli(stack, ['renew', '--force', 'site04'])]);
    const outcomes = [action(first, 'site04'), action(second, 'site04')].sort();
    // Either the second found the lease held, or it got the lease after the first and (being forced) renewed again.
    expect(outcomes.filter((a) => a === 'renewed').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.every((a) => a === 'renewed' || a === 'locked')).toBe(true);
    const renewedCount = outcomes.filter((a) => a === 'renewed').length;
    expect((await aws.list('archive/site04/')).length).toBe(before.length + 5 * renewedCount);
    expect(await aws.read('locks/site04.json')).toBeUndefined();
    const record = JSON.parse((await aws.read('renewal/site04.json'))!) as { state: string };
    expect(record.state).toBe('active');
  });
});

describe('delete', () => {
  it('refuses while the certificate is still declared', async () => {
    const result = await runCli(stack, ['delete', 'site06']);
    expect(result.code).toBe(2);
    expect(String(eventOf(result, 'error').message)).toMatch(/still declared in CERTIFICATES/);
    expect(await aws.read('renewal/site06.json')).toBeDefined();
  });

  it('forgets it once undeclared: ACM certificate, live copies and record gone, archive kept', async () => {
    const record = JSON.parse((await aws.read('renewal/site06.json'))!) as { acm: { certificateArn: string }[] };
    const without = CERTIFICATES.replace(entry('site06'), '');
    const result = await runCli(stack, ['delete', 'site06'], { CERTIFICATES: without });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(await aws.read('renewal/site06.json')).toBeUndefined();
    expect(await aws.list('live/site06/')).toEqual([]);
    expect((await aws.list('archive/site06/')).length).toBe(5);
    await expect(aws.acm.send(new DescribeCertificateCommand({ CertificateArn: record.acm[0]!.certificateArn }))).rejects.toThrow(/not found|does not exist|ResourceNotFound/i);
    const listed = await runCli(stack, ['list'], { CERTIFICATES: without });
    expect(rows(listed).map((r) => r.name)).not.toContain('site06');
  });

  it('answers 8 for an unknown certificate', async () => {
    expect((await runCli(stack, ['renew', 'nope'])).code).toBe(8);
    expect((await runCli(stack, ['revoke', 'nope'])).code).toBe(8);
  });
});
