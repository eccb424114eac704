import { describe, expect, it } from 'vitest';
import { ConfigReader } from '../../lib/core/config-reader.js';
import { EVENT_DETAIL_TYPES, EventDetailTypes, certificateEvent, certificateEventPattern, eventBusArn, expiringEventDue, readEventBus } from '../../lib/core/events.js';

const now = new Date('2027-01-01T00:00:00Z');
const context = { bucket: 'certs', runId: 'run-1', now };

describe('certificateEvent', () => {
  it("copies only the fields the schema names: a record's other fields (or a PEM) cannot ride along", () => {
    const facts = {
      name: 'shop',
      domains: ['shop.example.com'],
      serial: '0abc',
      notBefore: '2026-12-01T00:00:00.000Z',
      notAfter: '2027-01-15T00:00:00.000Z',
      fingerprint: 'aa:bb',
      acm: [{ region: 'eu-west-1', certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x', serial: '0abc', importedAt: 'then', privkey: '-----BEGIN PRIVATE KEY-----' }],
      exports: [
        { kind: 'secretsmanager', id: 'arn:secret', version: 'v2', serial: '0abc', exportedAt: 'then' },
        { kind: 'ssm', id: '/acme/shop', version: '3', serial: '0999' },
      ],
      privkey: '-----BEGIN PRIVATE KEY-----',
    };
    const event = certificateEvent(EventDetailTypes.renewed, facts, context, { reason: 'forced' });
    expect(event).toEqual({
      source: 'acme-on-aws',
      detailType: 'Certificate Renewed',
      detail: {
        version: 1,
        name: 'shop',
        domains: ['shop.example.com'],
        serial: '0abc',
        notBefore: '2026-12-01T00:00:00.000Z',
        notAfter: '2027-01-15T00:00:00.000Z',
        fingerprint: 'aa:bb',
        s3: {
          bucket: 'certs',
          livePointer: 'live/shop/metadata.json',
          archivePrefix: 'archive/shop/0abc/',
          archive: { 'cert.pem': 'archive/shop/0abc/cert.pem', 'chain.pem': 'archive/shop/0abc/chain.pem', 'fullchain.pem': 'archive/shop/0abc/fullchain.pem', 'privkey.pem': 'archive/shop/0abc/privkey.pem' },
          bundle: 'archive/shop/0abc/bundle.json',
        },
        acm: [{ region: 'eu-west-1', certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' }],
        // The SSM copy still holds serial 0999: not this certificate's hand-over.
        exports: [{ kind: 'secretsmanager', id: 'arn:secret', version: 'v2' }],
        runId: 'run-1',
        time: '2027-01-01T00:00:00.000Z',
        reason: 'forced',
      },
    });
    expect(JSON.stringify(event)).not.toContain('BEGIN');
  });

  it('names no S3 version for a certificate never issued (a first issuance that failed)', () => {
    const event = certificateEvent(EventDetailTypes.renewalFailed, { name: 'new', domains: ['new.example.com'] }, context, {
      error: { code: 'ERR_VALIDATION_FAILED', message: 'refused', retryAt: '2027-01-01T01:00:00.000Z', attempts: 1 },
    });
    expect(event.detail).toMatchObject({ serial: undefined, s3: undefined, acm: [], exports: [], error: { attempts: 1 } });
  });

  it("carries the CA's ARI explanationURL only when there is one", () => {
    const facts = { name: 'shop', domains: ['shop.example.com'], serial: '0abc' };
    const moved = certificateEvent(EventDetailTypes.renewed, facts, context, { reason: 'renewal due since then', ariExplanationUrl: 'https://ca.example/incident' });
    expect(moved.detail.ariExplanationUrl).toBe('https://ca.example/incident');
    expect('ariExplanationUrl' in certificateEvent(EventDetailTypes.renewed, facts, context, { reason: 'forced', ariExplanationUrl: undefined }).detail).toBe(false);
  });
});

describe("the stack's side", () => {
  it('matches our source and the detail-types asked for', () => {
    expect(certificateEventPattern()).toEqual({ source: ['acme-on-aws'], detailType: [...EVENT_DETAIL_TYPES] });
    expect(EVENT_DETAIL_TYPES).toHaveLength(6);
    expect(certificateEventPattern([EventDetailTypes.issued])).toEqual({ source: ['acme-on-aws'], detailType: ['Certificate Issued'] });
  });

  it('grants a name in its own account and region, an ARN as given', () => {
    const where = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
    expect(eventBusArn('default', where)).toBe('arn:aws:events:eu-west-1:123456789012:event-bus/default');
    expect(eventBusArn('arn:aws:events:us-east-1:210987654321:event-bus/central', where)).toBe('arn:aws:events:us-east-1:210987654321:event-bus/central');
  });
});

describe('readEventBus', () => {
  const read = (value: string | undefined) => {
    const reader = new ConfigReader({ EVENT_BUS: value });
    return reader.done(readEventBus(reader, 'EVENT_BUS'));
  };
  it.each([
    [undefined, 'default'],
    ['default', 'default'],
    ['certificates', 'certificates'],
    ['arn:aws:events:eu-west-1:123456789012:event-bus/central', 'arn:aws:events:eu-west-1:123456789012:event-bus/central'],
    ['none', undefined],
  ])('%s → %s', (value, bus) => expect(read(value)).toBe(bus));
  it.each(['my bus', 'arn:aws:sns:eu-west-1:123456789012:topic', 'a'.repeat(257)])('refuses %s, naming the variable', (value) => {
    expect(() => read(value)).toThrow(/EVENT_BUS=".*" is not valid; expected an EventBridge bus name or ARN/);
  });
});

describe('expiringEventDue', () => {
  const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();
  it.each([
    ['fewer days left than the threshold, never sent', inDays(13.9), undefined, true],
    ['exactly the threshold left', inDays(14), undefined, false],
    ['more left', inDays(30), undefined, false],
    ['already expired', inDays(-1), undefined, true],
    ['sent 23 hours ago', inDays(5), new Date(now.getTime() - 23 * 3_600_000).toISOString(), false],
    ['sent a day ago', inDays(5), new Date(now.getTime() - 24 * 3_600_000).toISOString(), true],
    ['no certificate', undefined, undefined, false],
  ])('%s', (_, notAfter, lastSentAt, due) => expect(expiringEventDue(notAfter, lastSentAt, 14, now)).toBe(due));
});
