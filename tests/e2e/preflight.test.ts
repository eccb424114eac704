// The pre-flight self-check through the real CLI on the local stack. Every cause is made for
// real on loopback: names with no record in challtestsrv, a name on an address where nothing
// listens, servers on other 127.0.0.0/8 addresses at the HTTP-01 port that answer something else,
// redirect, or hang, and an ALB DNS name that resolves to the adapter's address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { addA, challtestsrv, httpServerAt, metricLines, onlyExplicitRecords, silentServerAt, type Running } from '../support/loopback.js';

let stack: LocalStack;
let thumbprint: string;
let registered: CliResult;
const servers: Running[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ name: 'preflight' });
  await onlyExplicitRecords(stack);
  await addA(stack, 'good.example.com', '127.0.0.1');
  await addA(stack, 'alb.example.internal', '127.0.0.1');
  await addA(stack, 'refused.example.com', '127.0.0.2');
  await addA(stack, 'other.example.com', '127.0.0.3');
  await addA(stack, 'redirect.example.com', '127.0.0.4');
  await addA(stack, 'slow.example.com', '127.0.0.5');
  await addA(stack, 'elsewhere.example.com', '127.0.0.6');
  await addA(stack, 'stale.example.com', '127.0.0.7');
  servers.push(
    await httpServerAt('127.0.0.3', stack.httpPort, () => ({ status: 200, body: '<html><h1>Welcome to nginx!</h1></html>' })),
    await httpServerAt('127.0.0.4', stack.httpPort, (path) => ({ status: 301, headers: { location: `https://redirect.example.com${path}` } })),
    await silentServerAt('127.0.0.5', stack.httpPort),
    // Another deployment of this responder (same answer format) for another account.
    await httpServerAt('127.0.0.7', stack.httpPort, (path) => ({ status: 200, body: `${path.split('/').pop()}.${'x'.repeat(43)}` })),
  );
  await addA(stack, 'caa-elsewhere.example.com', '127.0.0.1');
  await challtestsrv(stack, '/add-caa', { host: 'caa-elsewhere.example.com', policies: [{ tag: 'issue', value: 'some-ca.example; accounturi=https://ca.example/acct/other' }] });
  registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
  thumbprint = String(eventOf(registered, 'registered').thumbprint);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await stack?.stop();
});

function preflightEvent(result: CliResult, domain: string): Record<string, unknown> {
  const found = result.events.find((e) => e.event === 'preflight' && e.domain === domain);
  if (found === undefined) throw new Error(`no preflight line for ${domain}:\n${result.stdout}\n${result.stderr}`);
  return found;
}

async function issueExpectingPreflightFailure(domain: string, extraEnv: Record<string, string> = {}): Promise<{ result: CliResult; message: string; line: Record<string, unknown> }> {
  const name = domain.split('.')[0]!;
  const result = await runCli(stack, ['issue', '--name', name, '--domain', domain], extraEnv);
  expect(result.code, result.stdout + result.stderr).toBe(9);
  const error = eventOf(result, 'error');
  expect(error.code).toBe('ERR_PREFLIGHT_FAILED');
  // No order was placed: no step after the account, nothing archived or live.
  expect(result.events.filter((e) => e.event === 'step').map((e) => e.step)).toEqual(['account']);
  const aws = clientsFor(stack);
  expect(await aws.read(`live/${name}/metadata.json`)).toBeUndefined();
  // Recorded like renew's pre-flight failure (under the lease): `failed`, the cause, a retry time.
  const record = JSON.parse((await aws.read(`renewal/${name}.json`))!) as Record<string, unknown>;
  expect(record).not.toHaveProperty('serial');
  expect(record).toMatchObject({ state: 'failed', failedAttempts: expect.any(Number), lastError: { code: 'ERR_PREFLIGHT_FAILED' } });
  expect(new Date(String(record.retryAt)).getTime()).toBeGreaterThan(Date.now());
  expect((record.history as { state: string }[]).map((h) => h.state).slice(-2)).toEqual(['issuing', 'failed']);
  expect(await aws.read(`locks/${name}.json`)).toBeUndefined();
  // Counted as a failed issuance and as a pre-flight validation failure, by cause.
  expect(metricLines(result.stdout, 'IssuanceFailed')).toEqual([expect.objectContaining({ Operation: 'issue', IssuanceFailed: 1, errorCode: 'ERR_PREFLIGHT_FAILED' })]);
  const line = preflightEvent(result, domain);
  expect(metricLines(result.stdout, 'ValidationFailures')).toEqual([expect.objectContaining({ Stage: 'preflight', Cause: line.cause, ValidationFailures: 1, domain })]);
  return { result, message: String(error.message), line };
}

describe('a name that reaches our responder', () => {
  it('passes the pre-flight, then issues, and reports the success and days to expiry as metric lines', async () => {
    const result = await runCli(stack, ['issue', '--name', 'good', '--domain', 'good.example.com']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(preflightEvent(result, 'good.example.com')).toMatchObject({ ok: true, addresses: ['127.0.0.1'], runId: eventOf(result, 'issued').runId });
    const notAfter = new Date(String(eventOf(result, 'issued').notAfter));

    const [succeeded] = metricLines(result.stdout, 'IssuanceSucceeded');
    expect(succeeded).toMatchObject({
      Operation: 'issue',
      IssuanceSucceeded: 1,
    });
    const [expiry] = metricLines(result.stdout, 'DaysToExpiry');
    expect(expiry).toMatchObject({ CertificateName: 'good', runId: succeeded!.runId });
    // the stack's metric filters make the metrics: an EMF block as well would count them twice where EMF is extracted
    expect(succeeded!._aws).toBeUndefined();
    const expectedDays = (notAfter.getTime() - Date.now()) / 86_400_000;
    expect(Math.abs(Number(expiry!.DaysToExpiry) - expectedDays)).toBeLessThan(0.1);
    expect(metricLines(result.stdout, 'IssuanceFailed')).toEqual([]);
  });

  it('passes when the name resolves to an address of ALB_DNS_NAME', async () => {
    const result = await runCli(stack, ['issue', '--name', 'good', '--domain', 'good.example.com'], { ALB_DNS_NAME: 'alb.example.internal' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(preflightEvent(result, 'good.example.com').ok).toBe(true);
  });

  it('--skip-preflight skips it', async () => {
    const result = await runCli(stack, ['issue', '--name', 'good', '--domain', 'good.example.com', '--skip-preflight']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.events.some((e) => e.event === 'preflight')).toBe(false);
  });
});

describe('each cause is found before any order, named, and given a fix', () => {
  it('no DNS record', async () => {
    const { message, line } = await issueExpectingPreflightFailure('nowhere.example.com');
    expect(line).toMatchObject({ ok: false, cause: 'dns-no-record', addresses: [] });
    expect(message).toMatch(/nowhere\.example\.com: no DNS record: nowhere\.example\.com has no A or AAAA record/);
    expect(message).toMatch(/what to do: create a CNAME record for the name pointing at the ALB DNS name/);
  });

  it('connection refused', async () => {
    const { message, line } = await issueExpectingPreflightFailure('refused.example.com');
    expect(line).toMatchObject({ cause: 'connection-refused', addresses: ['127.0.0.2'] });
    expect(message).toMatch(new RegExp(`refused\\.example\\.com: connection refused: connection refused at 127\\.0\\.0\\.2:${stack.httpPort}`));
    expect(message).toMatch(/what to do: nothing accepts connections on the HTTP port there/);
  });

  it('DNS points at an address that is not the ALB (ALB_DNS_NAME)', async () => {
    const { message, line } = await issueExpectingPreflightFailure('elsewhere.example.com', { ALB_DNS_NAME: 'alb.example.internal' });
    expect(line).toMatchObject({ cause: 'wrong-address', addresses: ['127.0.0.6'] });
    expect(message).toMatch(/DNS points at an address that is not the ALB: elsewhere\.example\.com resolves to 127\.0\.0\.6; 127\.0\.0\.6 is not an ALB address \(127\.0\.0\.1\)/);
    expect(message).toMatch(/what to do: point the name at the ALB \(CNAME to the ALB DNS name\)/);
  });

  it('DNS points at an address that is not the ALB (PREFLIGHT_EXPECTED_ADDRESSES)', async () => {
    const { line } = await issueExpectingPreflightFailure('refused.example.com', { PREFLIGHT_EXPECTED_ADDRESSES: '127.0.0.1, ::1' });
    expect(line).toMatchObject({ cause: 'wrong-address' });
    expect(String(line.summary)).toMatch(/127\.0\.0\.2 is not an ALB address \(127\.0\.0\.1, ::1\), and there the connection was refused/);
  });

  it('timeout', async () => {
    const { message, line } = await issueExpectingPreflightFailure('slow.example.com', { PREFLIGHT_TIMEOUT_MS: '1000' });
    expect(line).toMatchObject({ cause: 'timeout', addresses: ['127.0.0.5'] });
    expect(message).toMatch(new RegExp(`slow\\.example\\.com: timeout: no answer from 127\\.0\\.0\\.5:${stack.httpPort} within \\d+ ms`));
    expect(message).toMatch(/what to do: port 80 must be open to the whole internet/);
  });

  it('wrong answer from another server', async () => {
    const { message, line } = await issueExpectingPreflightFailure('other.example.com');
    expect(line).toMatchObject({ cause: 'wrong-answer' });
    expect(message).toMatch(/other\.example\.com: wrong answer from another server: 127\.0\.0\.3:\d+ the answer was HTTP 200 "<html><h1>Welcome to nginx!<\/h1><\/html>"/);
    expect(message).toMatch(/what to do: another server or rule answered/);
  });

  it('redirect', async () => {
    const { message, line } = await issueExpectingPreflightFailure('redirect.example.com');
    expect(line).toMatchObject({ cause: 'redirect' });
    expect(message).toMatch(/redirect\.example\.com: redirect: 127\.0\.0\.4:\d+ answered 301 redirecting to https:\/\/redirect\.example\.com\/\.well-known\/acme-challenge\//);
    expect(message).toMatch(/what to do: the challenge path must be answered on plain HTTP, not redirected/);
  });

  it('a responder for another account (its thumbprint is not ours)', async () => {
    const { message, line } = await issueExpectingPreflightFailure('stale.example.com');
    expect(line).toMatchObject({ cause: 'other-account' });
    expect(message).toMatch(/answer with another account's thumbprint: 127\.0\.0\.7:\d+ answered in our format but with the thumbprint x{43}, not ours/);
    expect(message).not.toContain(thumbprint);
  });

  it('names every failing name of one order, and passes none to the CA', async () => {
    const result = await runCli(stack, ['issue', '--name', 'mixed', '--domain', 'good.example.com', '--domain', 'nowhere.example.com', '--domain', 'other.example.com']);
    expect(result.code).toBe(9);
    expect(preflightEvent(result, 'good.example.com').ok).toBe(true);
    expect(preflightEvent(result, 'nowhere.example.com').cause).toBe('dns-no-record');
    expect(preflightEvent(result, 'other.example.com').cause).toBe('wrong-answer');
    expect(String(eventOf(result, 'error').message)).toMatch(/^pre-flight check failed for nowhere\.example\.com, other\.example\.com; no order was placed/);
    expect(metricLines(result.stdout, 'ValidationFailures').map((m) => m.Cause)).toEqual(['dns-no-record', 'wrong-answer']);
  });

  it('says in its hint that nothing reached the CA, and how to skip the check', async () => {
    const result = await runCli(stack, ['issue', '--name', 'nowhere', '--domain', 'nowhere.example.com']);
    expect(String(eventOf(result, 'error').hint)).toMatch(/nothing was sent to the CA.*--skip-preflight/);
  });
});

describe("CAA at a CA whose directory lists no caaIdentities (Debian's pebble 2.4)", () => {
  it('register prints the pin with a placeholder for the CA, and says why', () => {
    const event = eventOf(registered, 'registered');
    expect(event.caa).toEqual([`0 issue "<CA-CAA-DOMAIN>; accounturi=${String(event.account)}; validationmethods=http-01"`]);
    expect(event.caaNote).toEqual([expect.stringMatching(/lists no meta\.caaIdentities: replace <CA-CAA-DOMAIN> with the issuer domain your CA documents for CAA/)]);
  });

  it('still refuses a name pinned to another account: that is certain whichever CA is named', async () => {
    const { line } = await issueExpectingPreflightFailure('caa-elsewhere.example.com');
    expect(line).toMatchObject({ cause: 'caa' });
    expect(String(line.summary)).toMatch(/only to accounturi=https:\/\/ca\.example\/acct\/other, not to our account https:\/\/localhost:\d+\/my-account\//);
  });
});
