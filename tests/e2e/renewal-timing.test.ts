// When renewal happens, shown for real with short-lived certificates: the fallback rule (half the
// lifetime for certificates under 10 days) on Debian's pebble 2.4, which has no ARI, and the CA's
// ARI window with `replaces` on a current pebble built from the Go module proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { metricLines } from '../support/loopback.js';
import { eventOf, repoRoot, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

const rows = (result: CliResult) => result.events.filter((e) => e.event === 'certificate');
const sleepUntil = async (iso: string) => {
  const wait = new Date(iso).getTime() - Date.now() + 250;
  if (wait > 60_000) throw new Error(`renewal planned for ${iso}, too far away for a short-lived test certificate`);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};

interface Record {
  serial: string;
  notBefore: string;
  notAfter: string;
  renewAt: string;
  renewalRule: string;
  ariWindow?: { start: string; end: string };
  acm: { certificateArn: string }[];
}

describe('without ARI (pebble 2.4): half the lifetime of a short certificate', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ name: 'fallback', extraEnv: { PEBBLE_CERT_VALIDITY_SECONDS: '16', CERTIFICATES: 'short=short.example.com' } });
  });
  afterAll(async () => stack?.stop());

  it('is not due right after issuance, is due after half its life, and keeps its ARN', async () => {
    const aws = clientsFor(stack);
    expect((await runCli(stack, ['renew'])).code).toBe(0);
    const first = JSON.parse((await aws.read('renewal/short.json'))!) as Record;
    expect(first.renewalRule).toBe('1/2 of lifetime left');
    const half = (new Date(first.notAfter).getTime() - new Date(first.notBefore).getTime()) / 2;
    expect(new Date(first.renewAt).getTime()).toBe(new Date(first.notAfter).getTime() - Math.round(half));

    const early = await runCli(stack, ['renew']);
    expect(rows(early)[0]).toMatchObject({ action: 'skipped' });

    await sleepUntil(first.renewAt);
    const due = await runCli(stack, ['renew']);
    expect(due.code, due.stderr).toBe(0);
    expect(rows(due)[0]).toMatchObject({ action: 'renewed', reason: expect.stringMatching(/^renewal due since/) });
    const second = JSON.parse((await aws.read('renewal/short.json'))!) as Record;
    expect(second.serial).not.toBe(first.serial);
    expect(second.acm[0]!.certificateArn).toBe(first.acm[0]!.certificateArn);
  });
});

describe('a certificate no longer declared: still renewed and monitored, with a warning every run', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ name: 'undeclared', extraEnv: { PEBBLE_CERT_VALIDITY_SECONDS: '16', CERTIFICATES: 'kept=kept.example.com' } });
  });
  afterAll(async () => stack?.stop());

  const warned = (result: CliResult) => result.events.filter((e) => e.event === 'warning').map((e) => e.message);
  const warning = 'gone is not declared: `delete gone` to stop renewing it';

  it('keeps renewing what CERTIFICATES dropped, emits its DaysToExpiry, and says so in every run, list and show', async () => {
    const aws = clientsFor(stack);
    // Issued while declared, then dropped from the set (as editing DEPLOY_CERTIFICATES and redeploying does).
    const declared = 'kept=kept.example.com\ngone=gone.example.com';
    expect((await runCli(stack, ['renew'], { CERTIFICATES: declared })).code).toBe(0);
    const first = JSON.parse((await aws.read('renewal/gone.json'))!) as Record;

    const early = await runCli(stack, ['renew']);
    expect(early.code, early.stderr).toBe(0);
    expect(warned(early)).toEqual([warning]);
    expect(rows(early).find((r) => r.name === 'gone')).toMatchObject({ action: 'skipped' });
    expect(
      metricLines(early.stdout, 'DaysToExpiry')
        .map((m) => m.CertificateName)
        .sort(),
    ).toEqual(['gone', 'kept']);

    const listed = await runCli(stack, ['list']);
    expect(rows(listed).map((r) => [r.name, r.declared])).toEqual([
      ['gone', false],
      ['kept', true],
    ]);
    expect(warned(listed)).toEqual([warning]);
    const shown = await runCli(stack, ['show', 'gone']);
    expect(eventOf(shown, 'certificate')).toMatchObject({ name: 'gone', declared: false, bundle: `s3://${aws.bucket}/archive/gone/${first.serial}/bundle.json` });
    expect(warned(shown)).toEqual([warning]);

    await sleepUntil(first.renewAt);
    const due = await runCli(stack, ['renew']);
    expect(due.code, due.stderr).toBe(0);
    expect(warned(due)).toEqual([warning]);
    expect(rows(due).find((r) => r.name === 'gone')).toMatchObject({ action: 'renewed' });
    const second = JSON.parse((await aws.read('renewal/gone.json'))!) as Record;
    expect(second.serial).not.toBe(first.serial);
    expect(second.acm[0]!.certificateArn).toBe(first.acm[0]!.certificateArn);
    expect(new Set(metricLines(due.stdout, 'DaysToExpiry').map((m) => m.CertificateName))).toEqual(new Set(['gone', 'kept']));

    // Without CERTIFICATES the store is the set (certbot's `renew`): nothing is "undeclared".
    const whole = await runCli(stack, ['list'], { CERTIFICATES: '' });
    expect(warned(whole)).toEqual([]);
  }, 120_000);

  it('does not issue again what was revoked and then undeclared', async () => {
    const aws = clientsFor(stack);
    expect((await runCli(stack, ['revoke', 'gone'])).code).toBe(0);
    const before = await aws.list('archive/gone/');
    const result = await runCli(stack, ['renew']);
    expect(result.code, result.stderr).toBe(0);
    expect(rows(result).find((r) => r.name === 'gone')).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/revoked and not declared/) });
    expect(await aws.list('archive/gone/')).toEqual(before);
  });
});

describe("with ARI (current pebble): the CA's window, and `replaces` in the renewal order", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      name: 'ari',
      extraEnv: {
        PEBBLE_BIN: `${repoRoot}/.local/bin/pebble-current`,
        // Long enough that the check before the window opens still lands before it on a loaded machine.
        PEBBLE_CERT_VALIDITY_SECONDS: '60',
        // ACM import on: a current pebble (like Let's Encrypt) sets no subject CN, which ACM takes (scripts/local/moto_acm_subject.py)
        CERTIFICATES: 'ari=ari.example.com',
      },
    });
  });
  afterAll(async () => stack?.stop());

  it('plans the renewal inside the ARI window and renews with `replaces` once it is reached', async () => {
    const aws = clientsFor(stack);
    const issued = await runCli(stack, ['renew']);
    expect(issued.code, issued.stderr + issued.stdout.slice(-1500)).toBe(0);
    const first = JSON.parse((await aws.read('renewal/ari.json'))!) as Record;
    expect(first.renewalRule).toBe('ari');
    const window = first.ariWindow!;
    expect(new Date(window.start).getTime()).toBeLessThanOrEqual(new Date(first.renewAt).getTime());
    expect(new Date(first.renewAt).getTime()).toBeLessThan(new Date(window.end).getTime());
    expect(new Date(window.end).getTime()).toBeLessThanOrEqual(new Date(first.notAfter).getTime());

    expect(rows(await runCli(stack, ['renew']))[0]).toMatchObject({ action: 'skipped' });

    await sleepUntil(first.renewAt);
    const renewed = await runCli(stack, ['renew']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(rows(renewed)[0], JSON.stringify([first, rows(renewed)[0]])).toMatchObject({ action: 'renewed' });
    expect(renewed.events.find((e) => e.event === 'step' && String(e.step).startsWith('create order'))).toMatchObject({
      step: 'create order (replaces previous, ARI)',
      ok: true,
    });
    expect(renewed.events.some((e) => /without `replaces`/.test(String(e.message)))).toBe(false);
    expect(eventOf(renewed, 'renew-summary')).toMatchObject({ renewed: 1 });
    const second = JSON.parse((await aws.read('renewal/ari.json'))!) as Record;
    expect(second.acm).toHaveLength(1);
    expect(second.acm[0]!.certificateArn).toBe(first.acm[0]!.certificateArn);
  }, 120_000);
});
