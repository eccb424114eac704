// `health` through the real CLI: a pass/fail line per check (S3, the renewal index, the stored
// records' shapes, CA directory, account, responder through the public path), exit 10 when any fails, and the failures made for real: no account
// yet, a name pointing where nothing listens, the CA's port closed, moto stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { addA, metricLines, onlyExplicitRecords } from '../support/loopback.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'health' });
  await onlyExplicitRecords(stack);
  await addA(stack, 'site.example.com', '127.0.0.1');
  await addA(stack, 'refused.example.com', '127.0.0.2');
});
afterAll(async () => stack?.stop());

function checks(result: CliResult): Record<string, string> {
  return Object.fromEntries(result.events.filter((e) => e.event === 'check').map((e) => [String(e.check), String(e.status)]));
}

function check(result: CliResult, name: string): Record<string, unknown> {
  return result.events.find((e) => e.event === 'check' && e.check === name) ?? {};
}

describe('health', () => {
  it('before any account: S3 and the CA pass, the account fails with what to do, exit 10', async () => {
    const result = await runCli(stack, ['health']);
    expect(result.code, result.stdout + result.stderr).toBe(10);
    expect(checks(result)).toEqual({ storage: 'pass', 'renewal-index': 'pass', records: 'pass', 'key-pairs': 'skip', 'live-copies': 'skip', 'ca-directory': 'pass', account: 'fail', responder: 'skip' });
    expect(check(result, 'account')).toMatchObject({ ok: false, fix: 'run `register`' });
    expect(String(check(result, 'account').detail)).toMatch(/no account in S3/);
    expect(eventOf(result, 'error')).toMatchObject({ code: 'ERR_HEALTH_FAILED', message: '1 of 8 health checks failed: account' });
    expect(metricLines(result.stdout, 'HealthCheckFailed')).toEqual([expect.objectContaining({ Check: 'account', HealthCheckFailed: 1 })]);
  });

  it('after register and a first certificate: every check passes, the responder through DNS and the HTTP port', async () => {
    expect((await runCli(stack, ['register'])).code).toBe(0);
    const issued = await runCli(stack, ['issue', '--name', 'site', '--domain', 'site.example.com']);
    expect(issued.code, issued.stdout + issued.stderr).toBe(0);

    const result = await runCli(stack, ['health']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(checks(result)).toEqual({ storage: 'pass', 'renewal-index': 'pass', records: 'pass', 'key-pairs': 'pass', 'live-copies': 'pass', 'ca-directory': 'pass', account: 'pass', responder: 'pass' });
    expect(String(check(result, 'responder').detail)).toBe(`our responder answered a probe for site.example.com on port ${stack.httpPort}`);
    expect(String(check(result, 'account').detail)).toMatch(/^registered at the CA as https:\/\/localhost:\d+\/my-account\//);
    expect(eventOf(result, 'healthy').checks).toEqual(['storage: pass', 'renewal-index: pass', 'records: pass', 'key-pairs: pass', 'live-copies: pass', 'ca-directory: pass', 'account: pass', 'responder: pass']);
    // Days to expiry for every certificate, so a scheduled health run feeds the expiry alarm.
    expect(metricLines(result.stdout, 'DaysToExpiry')).toEqual([expect.objectContaining({ CertificateName: 'site' })]);
    expect(metricLines(result.stdout, 'HealthCheckFailed')).toEqual([]);
  });

  it('names the cause when the responder cannot be reached for a name', async () => {
    const result = await runCli(stack, ['health', '--domain', 'refused.example.com']);
    expect(result.code).toBe(10);
    expect(checks(result).responder).toBe('fail');
    expect(String(check(result, 'responder').detail)).toMatch(/refused\.example\.com: connection refused: connection refused at 127\.0\.0\.2/);
    expect(String(check(result, 'responder').fix)).toMatch(/nothing accepts connections on the HTTP port there/);
    expect(metricLines(result.stdout, 'HealthCheckFailed').map((m) => m.Check)).toEqual(['responder']);
  });

  it('fails the CA directory check when the CA cannot be reached', async () => {
    const result = await runCli(stack, ['health'], { ACME_DIRECTORY: 'https://localhost:1/dir' });
    expect(result.code).toBe(10);
    expect(checks(result)).toEqual({ storage: 'pass', 'renewal-index': 'pass', records: 'pass', 'key-pairs': 'pass', 'live-copies': 'pass', 'ca-directory': 'fail', account: 'fail', responder: 'pass' });
    expect(String(check(result, 'ca-directory').detail)).toMatch(/^https:\/\/localhost:1\/dir: ECONNREFUSED/);
    expect(String(check(result, 'ca-directory').fix)).toMatch(/check ACME_DIRECTORY/);
    // The key is registered at the stack's pebble, not at this directory.
    expect(String(check(result, 'account').detail)).toMatch(/the account is registered at https:\/\/localhost:\d+\/dir, not at ACME_DIRECTORY=https:\/\/localhost:1\/dir/);
  });

  it('fails the storage check when S3 is down (moto stopped)', async () => {
    await stack.service('stop', 'moto');
    try {
      const result = await runCli(stack, ['health']);
      expect(result.code).toBe(10);
      expect(checks(result).storage).toBe('fail');
      expect(String(check(result, 'storage').fix)).toMatch(/CERT_BUCKET/);
    } finally {
      await stack.service('start', 'moto');
    }
  });
});
