// The issuer's EventBridge events as a consumer receives them: a rule on moto's default bus
// matching source acme-on-aws, with an SQS queue as its target, read back after each real CLI run
// (issue, a forced renewal, a renewal the CA refuses, revoke, delete) and checked against the
// documented schema (lib/core/events.ts, docs/consuming.md "Events"). The issuer runs as the task
// role of the synthesized template under moto's enforced IAM, so its PutEvents grant is the
// template's; without it the run still succeeds and says the event was not sent.
import { createPrivateKey } from 'node:crypto';
import { PutRuleCommand, PutTargetsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_VERSION, EVENT_SOURCE, EventDetailTypes, certificateEventPattern, layout, PEM_FILES } from '../../lib/core/index.js';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { addA } from '../support/loopback.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let sqs: SQSClient;
let queueUrl: string;
/** Every message received so far (a test may read ones an earlier run sent). */
const received: Record<string, unknown>[] = [];

// Ten-day certificates: fewer days left than the default threshold (14), but `Expiring` only below a
// fifth of the lifetime (2 days), which a fresh one is not; tests/e2e/profiles.test.ts sends one for real.
const CERTIFICATES = 'shop=shop.example.com,www.shop.example.com\nflaky=flaky.example.com';

beforeAll(async () => {
  stack = await startLocalStack({ name: 'events', extraEnv: { CERTIFICATES, PEBBLE_CERT_VALIDITY_SECONDS: String(10 * 86_400) } });
  aws = clientsFor(stack);
  const settings = { region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) };
  sqs = new SQSClient(settings);
  const events = new EventBridgeClient(settings);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'certificate-events' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  // The rule as docs/consuming.md gives it, from the pattern the stack's own rules use.
  const pattern = certificateEventPattern();
  await events.send(new PutRuleCommand({ Name: 'acme-events', EventPattern: JSON.stringify({ source: pattern.source, 'detail-type': pattern.detailType }) }));
  await events.send(new PutTargetsCommand({ Rule: 'acme-events', Targets: [{ Id: 'queue', Arn: queueArn }] }));
}, 180_000);
afterAll(async () => stack?.stop());

/** Drains the queue until `count` messages matching `match` have arrived (or `waitMs` pass). */
async function messages(match: (event: Record<string, unknown>) => boolean, count = 1, waitMs = 20_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + waitMs;
  while (received.filter(match).length < count && Date.now() < deadline) {
    const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const message of answer.Messages ?? []) {
      received.push(JSON.parse(message.Body!) as Record<string, unknown>);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
  return received.filter(match);
}

const about = (type: string, name: string) => (event: Record<string, unknown>) => event['detail-type'] === type && (event.detail as { name?: string }).name === name;
const detailOf = (event: Record<string, unknown>) => event.detail as Record<string, unknown> & { s3: Record<string, unknown>; acm: { region: string; certificateArn: string }[] };
const runIdOf = (result: CliResult) => String(result.events.find((e) => typeof e.runId === 'string')?.runId);

/** The documented schema, field by field, for an event about the version live in S3 now. */
async function expectDescribesLive(event: Record<string, unknown>, name: string, result: CliResult): Promise<void> {
  expect(event).toMatchObject({ source: EVENT_SOURCE });
  const detail = detailOf(event);
  const live = JSON.parse((await aws.read(layout.liveMetadata(name)))!) as { serial: string; notBefore: string; notAfter: string; fingerprintSha256: string; names: string[] };
  const record = JSON.parse((await aws.read(layout.renewal(name)))!) as { acm: { region: string; certificateArn: string }[] };
  expect(detail).toMatchObject({
    version: EVENT_SCHEMA_VERSION,
    name,
    domains: live.names,
    serial: live.serial,
    notBefore: live.notBefore,
    notAfter: live.notAfter,
    fingerprint: live.fingerprintSha256,
    runId: runIdOf(result),
    exports: [],
  });
  expect(detail.acm).toEqual(record.acm.map(({ region, certificateArn }) => ({ region, certificateArn })));
  expect(detail.acm[0]?.certificateArn).toMatch(/^arn:aws:acm:us-east-1:/);
  expect(detail.s3).toEqual({
    bucket: aws.bucket,
    livePointer: layout.liveMetadata(name),
    archivePrefix: layout.archiveDir(name, live.serial),
    archive: Object.fromEntries(PEM_FILES.map((file) => [file, layout.archivePem(name, live.serial, file)])),
    bundle: layout.archiveBundle(name, live.serial),
  });
  // Every key it names is there to read.
  for (const key of [...Object.values(detail.s3.archive as Record<string, string>), detail.s3.bundle as string]) expect(await aws.read(key), key).toBeDefined();
}

describe('a consumer subscribed through an EventBridge rule', () => {
  it('receives Certificate Issued for each new certificate, and no Expiring for a fresh 10-day one (its threshold is a fifth of its life)', async () => {
    const result = await runCli(stack, ['renew']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [issued] = await messages(about(EventDetailTypes.issued, 'shop'));
    await expectDescribesLive(issued!, 'shop', result);
    expect(detailOf(issued!).reason).toBe('not issued yet');
    expect(await messages(about(EventDetailTypes.issued, 'flaky'))).toHaveLength(1);
    expect(result.events.filter((e) => e.event === 'event-sent').map((e) => e.detailType)).toEqual([EventDetailTypes.issued, EventDetailTypes.issued]);
  });

  it('receives Certificate Issued after `issue` too', async () => {
    const result = await runCli(stack, ['issue', '--name', 'solo', '--domain', 'solo.example.com']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [issued] = await messages(about(EventDetailTypes.issued, 'solo'));
    await expectDescribesLive(issued!, 'solo', result);
    expect(detailOf(issued!).reason).toBe('issue command');
  });

  it('receives Certificate Renewed after a forced renewal, naming the new version; nothing else on the runs after it', async () => {
    const before = JSON.parse((await aws.read(layout.liveMetadata('shop')))!) as { serial: string };
    const result = await runCli(stack, ['renew', '--force', 'shop']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [renewed] = await messages(about(EventDetailTypes.renewed, 'shop'));
    await expectDescribesLive(renewed!, 'shop', result);
    expect(detailOf(renewed!).serial).not.toBe(before.serial);
    expect(detailOf(renewed!).reason).toBe('forced');

    const sent = (run: CliResult) => run.events.filter((e) => e.event === 'event-sent').map((e) => [e.detailType, e.name]);
    const again = await runCli(stack, ['renew']);
    expect(again.code).toBe(0);
    // solo (made by `issue`, never declared) is monitored like the rest: 10 days left is not expiring for a 10-day certificate.
    expect(sent(again)).toEqual([]);
    // moto delivers to SQS within PutEvents: one would be in the queue already.
    expect(await messages(about(EventDetailTypes.expiring, 'shop'), 1, 2_000)).toHaveLength(0);
  });

  it('receives Certificate Renewal Failed when the CA refuses, with the error, the next retry, the attempt count and the certificate still live', async () => {
    // flaky.example.com now points where nothing listens: pebble's validation is refused.
    await addA(stack, 'flaky.example.com', '127.0.0.2');
    const result = await runCli(stack, ['renew', '--force', '--skip-preflight', 'flaky']);
    expect(result.code, result.stdout + result.stderr).toBe(3);
    const [failed] = await messages(about(EventDetailTypes.renewalFailed, 'flaky'));
    await expectDescribesLive(failed!, 'flaky', result);
    const record = JSON.parse((await aws.read(layout.renewal('flaky')))!) as { retryAt: string; lastError: { code: string; message: string } };
    expect(detailOf(failed!).error).toEqual({ code: 'ERR_VALIDATION_FAILED', message: record.lastError.message, retryAt: record.retryAt, attempts: 1 });
    expect(String((detailOf(failed!).error as { message: string }).message)).toMatch(/flaky\.example\.com/);
    expect(detailOf(failed!).reason).toBe('renew');
  });

  it('receives Certificate Revoked and Certificate Deleted', async () => {
    const revoke = await runCli(stack, ['revoke', 'shop', '--reason', 'superseded']);
    expect(revoke.code, revoke.stdout + revoke.stderr).toBe(0);
    const [revoked] = await messages(about(EventDetailTypes.revoked, 'shop'));
    await expectDescribesLive(revoked!, 'shop', revoke);
    expect(detailOf(revoked!).reason).toBe('superseded');

    const serial = (JSON.parse((await aws.read(layout.liveMetadata('flaky')))!) as { serial: string }).serial;
    const removed = await runCli(stack, ['delete', 'flaky'], { CERTIFICATES: 'shop=shop.example.com,www.shop.example.com' });
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    const [deleted] = await messages(about(EventDetailTypes.deleted, 'flaky'));
    expect(detailOf(deleted!)).toMatchObject({ name: 'flaky', serial, runId: runIdOf(removed) });
    expect(detailOf(deleted!).s3.archivePrefix).toBe(layout.archiveDir('flaky', serial));
  });

  it('never carries key material', async () => {
    const keyD = String(createPrivateKey((await aws.read(layout.livePem('shop', 'privkey.pem')))!).export({ format: 'jwk' }).d);
    const accountD = String(createPrivateKey((await aws.read(layout.accountKey))!).export({ format: 'jwk' }).d);
    const all = JSON.stringify(received);
    expect(received.length).toBeGreaterThanOrEqual(7);
    expect(all).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(all).not.toContain(keyD);
    expect(all).not.toContain(accountD);
  });
});

describe('an event the issuer may not put', () => {
  it('does not fail or undo the renewal: a warning naming events:PutEvents, and an EventPublishFailed metric', async () => {
    await stack.iam!.apply({ edit: { issuer: (statements) => statements.filter((s) => ![s.Action].flat().includes('events:PutEvents')) } });
    try {
      const before = JSON.parse((await aws.read(layout.liveMetadata('shop')))!) as { serial: string };
      const result = await runCli(stack, ['renew', '--force', 'shop']);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const live = JSON.parse((await aws.read(layout.liveMetadata('shop')))!) as { serial: string };
      expect(live.serial).not.toBe(before.serial);
      const warning = eventOf(result, 'event-not-sent');
      expect(warning).toMatchObject({ level: 'WARN', detailType: EventDetailTypes.renewed, name: 'shop' });
      expect(String(warning.reason)).toMatch(/events:PutEvents/);
      expect(result.events.filter((e) => e.event === 'metric' && e.EventPublishFailed === 1)).toEqual([expect.objectContaining({ DetailType: EventDetailTypes.renewed })]);
    } finally {
      await stack.iam!.apply();
    }
  });
});
