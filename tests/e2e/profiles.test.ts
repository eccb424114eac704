// ACME profiles on a current pebble (.local/bin/pebble-current) with ACM import on: Let's
// Encrypt's three, at the lifetimes they have from 2027 (classic 64 days with a subject CN,
// tlsserver 45 days, shortlived 6 days, both without a CN, as LE issues them), plus a 20-second
// one standing in for shortlived where real time has to pass. Each is issued and imported, the
// record keeps the profile the CA issued under and a renewal that declares none asks for it again
// (pebble picks a profile at random for an order without one), an unknown profile and 26 names on
// tlsserver are refused before anything is ordered, and a short certificate's failed renewal
// backs off by its lifetime, not by 5 minutes.
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { metricLines } from '../support/loopback.js';
import { eventOf, repoRoot, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

const DAY = 86_400_000;
const PROFILES = {
  classic: { description: 'classic: 64 days, with a subject CN', validityPeriod: 64 * 86_400, promoteCommonName: true },
  tlsserver: { description: 'tlsserver: 45 days, SANs only', validityPeriod: 45 * 86_400 },
  shortlived: { description: 'shortlived: 6 days, SANs only', validityPeriod: 6 * 86_400 },
  blink: { description: 'shortlived in seconds, for real-time tests', validityPeriod: 20 },
};
const DECLARED = 'long=long.example.com,www.long.example.com;profile=classic tls=tls.example.com;profile=tlsserver short=short.example.com;profile=shortlived';

interface Record {
  serial: string;
  notBefore: string;
  notAfter: string;
  profile?: string;
  state: string;
  renewAt: string;
  renewalRule: string;
  ariWindow?: { start: string; end: string };
  retryAt?: string;
  failedAttempts?: number;
  lastError?: { at: string; code: string; message: string };
  acm: { certificateArn: string }[];
}

const rows = (result: CliResult) => result.events.filter((e) => e.event === 'certificate');
const errorsOf = (result: CliResult) => result.events.filter((e) => e.event === 'error');
const steps = (result: CliResult) => result.events.filter((e) => e.event === 'step').map((e) => String(e.step));
const lifetimeDays = (r: Record) => (new Date(r.notAfter).getTime() - new Date(r.notBefore).getTime()) / DAY;

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
const record = async (name: string) => JSON.parse((await aws.read(`renewal/${name}.json`))!) as Record;

beforeAll(async () => {
  stack = await startLocalStack({
    name: 'profiles',
    extraEnv: { PEBBLE_BIN: `${repoRoot}/.local/bin/pebble-current`, PEBBLE_PROFILES: JSON.stringify(PROFILES), CERTIFICATES: DECLARED },
  });
  aws = clientsFor(stack);
});
afterAll(async () => stack?.stop());

describe('profiles on a current pebble, imported into ACM', () => {
  it('issues each profile at its lifetime, records it and imports it, CN or not', async () => {
    const result = await runCli(stack, ['renew']);
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    expect(rows(result).map((r) => [r.name, r.action])).toEqual([
      ['long', 'issued'],
      ['short', 'issued'],
      ['tls', 'issued'],
    ]);
    const expected = { long: ['classic', 64, 'long.example.com'], tls: ['tlsserver', 45, ''], short: ['shortlived', 6, ''] } as const;
    for (const [name, [profile, days, subject]] of Object.entries(expected)) {
      const r = await record(name);
      expect(r.profile, name).toBe(profile);
      expect(Math.round(lifetimeDays(r)), name).toBe(days);
      expect(r.acm, name).toHaveLength(1);
      const { Certificate } = await aws.acm.send(new DescribeCertificateCommand({ CertificateArn: r.acm[0]!.certificateArn }));
      // ACM names a certificate without a CN by its first SAN (scripts/local/moto_acm_subject.py)
      expect(Certificate, name).toMatchObject({ DomainName: `${name}.example.com`, Subject: subject === '' ? '' : `CN=${subject}`, Serial: expect.any(String) });
    }
    // The expiry alarm reads each certificate's margin to its own threshold: a fresh 6-day one is not "expiring" (14 days would be)
    const margins = Object.fromEntries(metricLines(result.stdout, 'DaysToExpiry').map((m) => [m.CertificateName, m]));
    expect(margins.short).toMatchObject({ alarmDays: 1.2, ExpiryMargin: expect.any(Number) });
    expect(Number(margins.short!.ExpiryMargin)).toBeGreaterThan(4);
    expect(margins.tls).toMatchObject({ alarmDays: 9 });
    expect(margins.long).toMatchObject({ alarmDays: 12.8 });
  });

  it('plans the 6-day certificate no earlier than half its life, inside the CA window', async () => {
    const short = await record('short');
    const half = new Date(short.notBefore).getTime() + (new Date(short.notAfter).getTime() - new Date(short.notBefore).getTime()) / 2;
    expect(short.renewalRule).toBe('ari');
    // pebble's window opens at a third of the life left minus a day: for 6 days, exactly half way
    expect(new Date(short.renewAt).getTime()).toBeGreaterThanOrEqual(half - 60_000);
    expect(new Date(short.renewAt).getTime()).toBeLessThan(new Date(short.notAfter).getTime());
  });

  it('renews each with the profile it was issued under when the declaration names none', async () => {
    const before = { long: await record('long'), tls: await record('tls'), short: await record('short') };
    const undeclared = 'long=long.example.com,www.long.example.com tls=tls.example.com short=short.example.com';
    const result = await runCli(stack, ['renew', '--force'], { CERTIFICATES: undeclared });
    expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
    expect(rows(result).every((r) => r.action === 'renewed')).toBe(true);
    for (const [name, previous] of Object.entries(before)) {
      const r = await record(name);
      expect(r.serial, name).not.toBe(previous.serial);
      expect(r.profile, name).toBe(previous.profile);
      expect(Math.round(lifetimeDays(r)), name).toBe(Math.round(lifetimeDays(previous)));
      expect(r.acm[0]!.certificateArn, name).toBe(previous.acm[0]!.certificateArn);
    }
  });

  it('refuses a profile the CA does not offer, naming the ones it does, before ordering; the live certificate stays', async () => {
    const before = await record('tls');
    const result = await runCli(stack, ['renew', 'tls', '--force'], { CERTIFICATES: 'tls=tls.example.com;profile=tls-server' });
    expect(result.code).toBe(2);
    const error = errorsOf(result).find((e) => e.code === 'ERR_CONFIG_INVALID');
    expect(String(error?.message)).toMatch(/"tls"'s profile "tls-server" is not offered by https:\/\/localhost:\d+\/dir; it offers /);
    for (const offered of Object.keys(PROFILES)) expect(String(error?.message)).toContain(`"${offered}"`);
    expect(steps(result).some((s) => s.startsWith('create order'))).toBe(false);
    const after = await record('tls');
    expect(after.serial).toBe(before.serial);
    expect(after.state).toBe('failed');
    // the refused profile does not replace the one the live certificate was issued under
    expect(after.profile).toBe('tlsserver');
    expect((await runCli(stack, ['show', 'tls'])).events.find((e) => e.event === 'certificate')).toMatchObject({ serial: before.serial });

    // health reads the directory and says the same without ordering anything
    const health = await runCli(stack, ['health'], { CERTIFICATES: 'tls=tls.example.com;profile=tls-server' });
    expect(health.code).toBe(10);
    const check = health.events.find((e) => e.event === 'check' && e.check === 'ca-directory');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(/CERTIFICATES entry "tls": profile "tls-server" is not offered/) });
    expect(String(check?.fix)).toMatch(/^set profile= in CERTIFICATES \(or ACME_PROFILE\) to one of: /);
    for (const offered of Object.keys(PROFILES)) expect(String(check?.fix)).toContain(offered);
    expect(health.events.find((e) => e.event === 'check' && e.check === 'account')).toMatchObject({ status: 'pass' });

    // `issue` without ACME_PROFILE orders with the live certificate's profile too (pebble would pick one at random)
    const reissued = await runCli(stack, ['issue', '--name', 'tls', '--domain', 'tls.example.com']);
    expect(reissued.code, reissued.stdout.slice(-2000) + reissued.stderr).toBe(0);
    const fixed = await record('tls');
    expect(fixed).toMatchObject({ state: 'active', profile: 'tlsserver' });
    expect(Math.round(lifetimeDays(fixed))).toBe(45);

    // ACME_PROFILE for `issue` too
    const issued = await runCli(stack, ['issue', '--name', 'other', '--domain', 'other.example.com'], { ACME_PROFILE: 'nope' });
    expect(issued.code).toBe(2);
    expect(String(errorsOf(issued)[0]?.message)).toMatch(/"other"'s profile "nope" is not offered/);
    expect(steps(issued).some((s) => s.startsWith('create order'))).toBe(false);
  });

  it('refuses 26 names on tlsserver before ordering: at config time, and for `issue` before the CA hears of it', async () => {
    const names = Array.from({ length: 26 }, (_, i) => `n${i}.big.example.com`);
    const declared = await runCli(stack, ['renew'], { CERTIFICATES: `big=${names.join(',')};profile=tlsserver` });
    expect(declared.code).toBe(2);
    expect(String(errorsOf(declared)[0]?.message)).toMatch(/CERTIFICATES entry "big" has 26 names, but the "tlsserver" profile takes at most 25/);
    expect(await aws.read('renewal/big.json')).toBeUndefined();

    const issued = await runCli(stack, ['issue', '--name', 'big', ...names.flatMap((n) => ['--domain', n])], { ACME_PROFILE: 'tlsserver' });
    expect(issued.code).toBe(2);
    expect(String(errorsOf(issued)[0]?.message)).toMatch(/"big" has 26 names, but the "tlsserver" profile takes at most 25/);
    expect(steps(issued).some((s) => s.startsWith('create order'))).toBe(false);
    expect(await aws.list('archive/big/')).toEqual([]);
  });
});

describe('a short certificate backs off by its lifetime (real time: a 20-second profile for the 6-day one)', () => {
  it('after a failed renewal retries within a tenth of its lifetime, before it expires, and then renews', async () => {
    const declared = 'blink=blink.example.com;profile=blink';
    const issued = await runCli(stack, ['renew', 'blink'], { CERTIFICATES: declared });
    expect(issued.code, issued.stdout.slice(-2000) + issued.stderr).toBe(0);
    const first = await record('blink');
    expect(first.profile).toBe('blink');
    const lifetime = new Date(first.notAfter).getTime() - new Date(first.notBefore).getTime();
    expect(lifetime).toBeLessThanOrEqual(21_000);

    // The responder unreachable: the pre-flight fails, which is recorded with a retry time like any failure.
    await stack.service('stop', 'adapter');
    const failed = await runCli(stack, ['renew', 'blink', '--force'], { CERTIFICATES: declared });
    await stack.service('start', 'adapter');
    expect(failed.code, failed.stdout.slice(-2000)).toBe(9);
    const afterFailure = await record('blink');
    expect(afterFailure).toMatchObject({ state: 'failed', failedAttempts: 1, serial: first.serial });
    const waited = new Date(afterFailure.retryAt!).getTime() - new Date(afterFailure.lastError!.at).getTime();
    // 5 minutes unscaled; a tenth of 20 s here (or half what was left, if that was less)
    expect(waited).toBeLessThanOrEqual(lifetime / 10);
    expect(waited).toBeGreaterThan(0);

    const wait = new Date(afterFailure.retryAt!).getTime() - Date.now() + 250;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const retried = await runCli(stack, ['renew', 'blink'], { CERTIFICATES: declared });
    expect(retried.code, retried.stdout.slice(-2000) + retried.stderr).toBe(0);
    expect(rows(retried)[0]).toMatchObject({ action: 'renewed', reason: expect.stringMatching(/retrying after a failure|renewal due|expired/) });
    const second = await record('blink');
    expect(second.serial).not.toBe(first.serial);
    expect(second.profile).toBe('blink');
    expect(second.failedAttempts ?? 0).toBe(0);
    expect(eventOf(retried, 'renew-summary')).toMatchObject({ renewed: 1 });
  }, 120_000);

  it('is "expiring" only with less than a fifth of its lifetime left, when renewal has been failing: Certificate Expiring once a day', async () => {
    const declared = 'blink=blink.example.com;profile=blink';
    const live = await record('blink');
    const expiringFrom = new Date(live.notAfter).getTime() - (new Date(live.notAfter).getTime() - new Date(live.notBefore).getTime()) / 5;
    const sentExpiring = (run: CliResult) => run.events.filter((e) => e.event === 'event-sent' && e.detailType === 'Certificate Expiring').map((e) => e.name);

    await stack.service('stop', 'adapter');
    try {
      // Before the last fifth: failing, but not expiring.
      const early = await runCli(stack, ['renew', 'blink', '--force'], { CERTIFICATES: declared });
      expect(early.code).toBe(9);
      if (Date.now() < expiringFrom) expect(sentExpiring(early)).toEqual([]);

      const wait = expiringFrom - Date.now() + 250;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const late = await runCli(stack, ['renew', 'blink', '--force'], { CERTIFICATES: declared });
      expect(late.code).toBe(9);
      expect(sentExpiring(late)).toEqual(['blink']);
      const again = await runCli(stack, ['renew', 'blink', '--force'], { CERTIFICATES: declared });
      expect(sentExpiring(again)).toEqual([]);
    } finally {
      await stack.service('start', 'adapter');
    }
  }, 120_000);
});
