// An ARI drill as Let's Encrypt ran one in 2026 (windows moved into the past), on a current pebble
// with a profile configured and ACM import on: pebble's own management endpoint moves the window
// (/set-renewal-info/), and the real CLI must see it, renew with `replaces`, show the CA's
// explanationURL and send it in the event; a window moved later is followed without renewing.
// Then the issuer is killed with SIGKILL after the CA
// finalized a replacement but before anything was stored: the next run finishes that saved order
// instead of placing a second replacement (which pebble refuses with alreadyReplaced); and where
// the saved order cannot be used, the run orders without `replaces` and says so.
import { PutRuleCommand, PutTargetsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDetailTypes, certificateEventPattern } from '../../lib/core/index.js';
import { certIdOf } from '../../container/acme/directory.js';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { metricLines } from '../support/loopback.js';
import { repoRoot, runCli, startCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { pebbleSetRenewalInfo } from '../support/pebble.js';

const LEASE_SECONDS = 2;
const EXPLANATION = 'https://community.letsencrypt.org/t/ari-drill-2026/1234';

interface StoredRecord {
  state: string;
  serial: string;
  renewAt: string;
  renewalRule: string;
  ariWindow?: { start: string; end: string };
  ariCertId?: string;
  ariCheckAt?: string;
  ariExplanationUrl?: string;
  pendingOrder?: { url: string; replaces?: string; liveKey: boolean };
  order?: { url: string; replaces?: string };
  acm: { certificateArn: string; serial: string }[];
}

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let proxy: FaultProxy;
let sqs: SQSClient;
let queueUrl: string;

const rows = (result: CliResult) => result.events.filter((e) => e.event === 'certificate');
const steps = (result: CliResult) => result.events.filter((e) => e.event === 'step').map((e) => String(e.step));
const messages = (result: CliResult) => result.events.map((e) => (typeof e.message === 'string' ? e.message : ''));
const record = async () => JSON.parse((await aws.read('renewal/ari.json'))!) as StoredRecord;
const ok = (result: CliResult) => expect(result.code, result.stderr + result.stdout.slice(-2500)).toBe(0);

/** Moves the live certificate's window an hour into the past, as a CA does for a mass revocation. */
async function moveWindowIntoPast(): Promise<void> {
  const now = Date.now();
  await pebbleSetRenewalInfo(stack, (await aws.read('live/ari/cert.pem'))!, {
    suggestedWindow: { start: new Date(now - 2 * 3_600_000).toISOString(), end: new Date(now - 3_600_000).toISOString() },
    explanationURL: EXPLANATION,
  });
}

beforeAll(async () => {
  stack = await startLocalStack({
    name: 'ari-drill',
    extraEnv: {
      PEBBLE_BIN: `${repoRoot}/.local/bin/pebble-current`,
      // 30 days: pebble's own window (around 2/3 of the lifetime) is weeks away, so only a moved one is due.
      PEBBLE_CERT_VALIDITY_SECONDS: String(30 * 86_400),
      // The profile scripts/local/up.sh configures in pebble, ordered by name.
      ACME_PROFILE: 'default',
      ACM_IMPORT: 'true',
      CERTIFICATES: 'ari=ari.example.com,www.ari.example.com',
      LEASE_SECONDS: String(LEASE_SECONDS),
    },
  });
  aws = clientsFor(stack);
  proxy = new FaultProxy(Number(stack.env.MOTO_PORT));
  await proxy.up();
  const settings = { region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) };
  sqs = new SQSClient(settings);
  const events = new EventBridgeClient(settings);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ari-events' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const pattern = certificateEventPattern([EventDetailTypes.renewed]);
  await events.send(new PutRuleCommand({ Name: 'ari-renewed', EventPattern: JSON.stringify({ source: pattern.source, 'detail-type': pattern.detailType }) }));
  await events.send(new PutTargetsCommand({ Rule: 'ari-renewed', Targets: [{ Id: 'queue', Arn: queueArn }] }));
}, 180_000);
afterAll(async () => {
  await proxy?.down();
  await stack?.stop();
});

/** Renewed events received so far, by serial. */
async function renewedEvents(serial: string): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  const deadline = Date.now() + 20_000;
  while (found.length === 0 && Date.now() < deadline) {
    const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const message of answer.Messages ?? []) {
      const event = JSON.parse(message.Body!) as { detail: Record<string, unknown> };
      if (event.detail.serial === serial) found.push(event.detail);
    }
  }
  return found;
}

describe('an ARI drill on a current pebble (profile, ACM import)', () => {
  it('sees a window moved into the past, shows the explanationURL, and renews with `replaces`', async () => {
    const issued = await runCli(stack, ['renew']);
    ok(issued);
    const first = await record();
    expect(first).toMatchObject({ state: 'active', renewalRule: 'ari' });
    expect(first.ariCertId).toBe(certIdOf((await aws.read('live/ari/cert.pem'))!));
    expect(new Date(first.renewAt).getTime()).toBeGreaterThan(Date.now() + 7 * 86_400_000);
    expect(first.acm).toHaveLength(1);

    await moveWindowIntoPast();
    // The scheduled sweep keeps to pebble's Retry-After (6 h: less than the 12 h between scheduled
    // runs, so the next one sees the move); a run right after does not ask again.
    const early = await runCli(stack, ['renew']);
    ok(early);
    expect(rows(early)[0]).toMatchObject({ name: 'ari', action: 'skipped' });
    expect((await record()).serial).toBe(first.serial);

    // Naming the certificate asks ARI at once (what an operator does on the CA's announcement).
    const dry = await runCli(stack, ['renew', '--dry-run', 'ari']);
    ok(dry);
    expect(rows(dry)[0]).toMatchObject({ name: 'ari', action: 'would-issue' });
    expect(messages(dry).some((m) => m.includes('the CA moved the renewal window') && m.includes(EXPLANATION))).toBe(true);
    // The metric the dashboard counts (no dimension), its line naming the certificate and the CA's page.
    expect(metricLines(dry.stdout, 'AriWindowMoved')).toEqual([expect.objectContaining({ AriWindowMoved: 1, certificateName: 'ari', due: 'true', explanationUrl: EXPLANATION })]);
    const shown = await runCli(stack, ['show', 'ari']);
    ok(shown);
    expect(shown.events.find((e) => e.event === 'certificate')).toMatchObject({ ariExplanation: EXPLANATION, renewalRule: 'ari' });
    expect(shown.stdout).toContain(EXPLANATION);

    const renewed = await runCli(stack, ['renew', 'ari']);
    ok(renewed);
    expect(rows(renewed)[0]).toMatchObject({ name: 'ari', action: 'renewed', reason: expect.stringContaining("(the CA's ARI window ") });
    expect(steps(renewed)).toContain('create order (replaces previous, ARI)');
    expect(messages(renewed).some((m) => m.includes('without `replaces`'))).toBe(false);
    const second = await record();
    expect(second.serial).not.toBe(first.serial);
    expect(second.order?.replaces).toBe(first.ariCertId);
    expect(second.pendingOrder).toBeUndefined();
    // Re-imported into the same ARN.
    expect(second.acm.map((a) => a.certificateArn)).toEqual(first.acm.map((a) => a.certificateArn));
    expect(second.acm[0]!.serial).toBe(second.serial);
    const [event] = await renewedEvents(second.serial);
    expect(event).toMatchObject({ name: 'ari', serial: second.serial, ariExplanationUrl: EXPLANATION, reason: expect.stringContaining("(the CA's ARI window ") });
  }, 300_000);

  it('follows a window moved later without renewing, and keeps no explanationURL that is not an http(s) URL', async () => {
    const before = await record();
    const start = new Date(Date.now() + 5 * 86_400_000).toISOString();
    const end = new Date(Date.now() + 6 * 86_400_000).toISOString();
    await pebbleSetRenewalInfo(stack, (await aws.read('live/ari/cert.pem'))!, { suggestedWindow: { start, end }, explanationURL: 'javascript:alert(1)' });
    const run = await runCli(stack, ['renew', 'ari']);
    ok(run);
    expect(rows(run)[0]).toMatchObject({ name: 'ari', action: 'skipped' });
    expect(metricLines(run.stdout, 'AriWindowMoved')).toEqual([expect.objectContaining({ due: 'false' })]);
    expect(metricLines(run.stdout, 'AriWindowMoved')[0]).not.toHaveProperty('explanationUrl');
    const after = await record();
    expect(after.serial).toBe(before.serial);
    expect(after.ariWindow).toEqual({ start, end });
    expect(after.ariExplanationUrl).toBeUndefined();
    expect(new Date(after.renewAt).getTime()).toBeGreaterThanOrEqual(new Date(start).getTime());
    expect(run.stdout).not.toContain('javascript:');
  }, 300_000);

  it('killed between finalize and storage, finishes the saved order on the next run: no second replacement', async () => {
    const before = await record();
    await moveWindowIntoPast();
    await renewKilledAtFirstArchiveWrite(['renew', 'ari']);
    const killed = await record();
    expect(killed.state).toBe('issuing');
    expect(killed.serial).toBe(before.serial);
    expect(killed.pendingOrder).toMatchObject({ replaces: before.ariCertId, liveKey: true });

    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 200));
    const recovery = await runCli(stack, ['renew']);
    ok(recovery);
    expect(rows(recovery)[0]).toMatchObject({ name: 'ari', action: 'renewed' });
    expect(messages(recovery).some((m) => m.startsWith('recovered the certificate of the order an interrupted run saved'))).toBe(true);
    // No order placed at all, so none with the same `replaces`.
    expect(steps(recovery).some((s) => s.startsWith('create order'))).toBe(false);
    const after = await record();
    expect(after).toMatchObject({ state: 'active', order: { url: killed.pendingOrder!.url, replaces: before.ariCertId } });
    expect(after.serial).not.toBe(before.serial);
    expect(after.pendingOrder).toBeUndefined();
    expect(after.acm[0]!.serial).toBe(after.serial);
  }, 300_000);

  it('where the saved order cannot be used (its new key died with the run), orders without `replaces` and says so', async () => {
    const before = await record();
    await moveWindowIntoPast();
    await renewKilledAtFirstArchiveWrite(['renew', '--rotate-key', 'ari']);
    expect((await record()).pendingOrder).toMatchObject({ replaces: before.ariCertId, liveKey: false });

    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 200));
    const recovery = await runCli(stack, ['renew']);
    ok(recovery);
    expect(rows(recovery)[0]).toMatchObject({ name: 'ari', action: 'renewed' });
    // pebble already counts the dead run's certificate as the replacement: alreadyReplaced, then an order without it.
    expect(messages(recovery).some((m) => m.includes('cannot give a certificate for the key this run orders with'))).toBe(true);
    expect(messages(recovery).some((m) => /the CA refused `replaces` \(.*already has a replacement.*\); ordered without `replaces`/.test(m))).toBe(true);
    const after = await record();
    expect(after.state).toBe('active');
    expect(after.serial).not.toBe(before.serial);
    expect(after.order?.replaces).toBeUndefined();
    expect(after.pendingOrder).toBeUndefined();
  }, 300_000);
});

/**
 * Runs the CLI through the fault proxy and SIGKILLs it at its first write to the archive, which
 * comes after the CA finalized the order and the certificate was downloaded.
 */
async function renewKilledAtFirstArchiveWrite(args: string[]): Promise<void> {
  let heldAt = '';
  const run = startCli(stack, args, { AWS_ENDPOINT_URL: proxy.endpoint });
  proxy.holdOnMutating(
    (line) => line.startsWith('PUT') && line.includes('/archive/'),
    (line) => {
      heldAt = line;
      run.child.kill('SIGKILL');
    },
  );
  await run.done;
  proxy.holdOnMutating(undefined);
  expect(heldAt).toContain('/archive/ari/');
}
