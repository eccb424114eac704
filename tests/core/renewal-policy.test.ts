import { describe, expect, it } from 'vitest';
import { ariCertId, expiryAlarmDays, fallbackRule, nextRetryAt, parseCertificateSet, rateLimitRetryAfter, renewalTime, sweepVerdict, type IndexEntry } from '../../lib/core/index.js';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);

describe('renewal time without ARI', () => {
  const notBefore = at('2026-01-01T00:00:00Z');

  it('renews a 90-day certificate with a third of its life left (day 60)', () => {
    const notAfter = new Date(notBefore.getTime() + 90 * DAY);
    expect(renewalTime(notBefore, notAfter, fallbackRule(notBefore, notAfter, undefined)).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('renews a 45-day certificate at day 30, not at a fixed 30 days before expiry (day 15)', () => {
    const notAfter = new Date(notBefore.getTime() + 45 * DAY);
    expect(renewalTime(notBefore, notAfter, fallbackRule(notBefore, notAfter, undefined))).toEqual(new Date(notBefore.getTime() + 30 * DAY));
  });

  it('renews a certificate shorter than 10 days at half its life', () => {
    const notAfter = new Date(notBefore.getTime() + 6 * DAY);
    expect(fallbackRule(notBefore, notAfter, undefined)).toEqual({ kind: 'fraction', fraction: 0.5 });
    expect(renewalTime(notBefore, notAfter, fallbackRule(notBefore, notAfter, undefined))).toEqual(new Date(notBefore.getTime() + 3 * DAY));
  });

  it('honours RENEW_BEFORE_DAYS when set', () => {
    const notAfter = new Date(notBefore.getTime() + 90 * DAY);
    expect(renewalTime(notBefore, notAfter, fallbackRule(notBefore, notAfter, 30))).toEqual(new Date(notBefore.getTime() + 60 * DAY));
  });
});

describe('renewal time with ARI', () => {
  const window = { start: at('2026-03-01T00:00:00Z'), end: at('2026-03-03T00:00:00Z') };
  it('picks the instant inside the window that the stored pick names', () => {
    expect(renewalTime(at('2026-01-01T00:00:00Z'), at('2026-04-01T00:00:00Z'), { kind: 'ari', window }, 0)).toEqual(window.start);
    expect(renewalTime(at('2026-01-01T00:00:00Z'), at('2026-04-01T00:00:00Z'), { kind: 'ari', window }, 0.5)).toEqual(at('2026-03-02T00:00:00Z'));
    expect(renewalTime(at('2026-01-01T00:00:00Z'), at('2026-04-01T00:00:00Z'), { kind: 'ari', window }, 1).getTime()).toBeLessThan(window.end.getTime());
  });

  it('builds the CertID of RFC 9773 §4.1', () => {
    // The RFC's example: AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial 00:87:65:43:21.
    expect(ariCertId('69885b6b87464041e1b37b847ba0ae2cde01c8d4', '87654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });
});

describe('after a failure', () => {
  const now = at('2026-06-01T12:00:00Z');
  it('backs off exponentially from 5 minutes to at most a day', () => {
    expect(nextRetryAt(1, now).getTime() - now.getTime()).toBe(5 * 60_000);
    expect(nextRetryAt(2, now).getTime() - now.getTime()).toBe(10 * 60_000);
    expect(nextRetryAt(4, now).getTime() - now.getTime()).toBe(40 * 60_000);
    expect(nextRetryAt(30, now).getTime() - now.getTime()).toBe(DAY);
  });

  it("waits for the CA's time on a rate limit", () => {
    const message = 'too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s, retry after 2026-06-03 10:00:00 UTC: see https://letsencrypt.org/docs/rate-limits/';
    const retryAfter = rateLimitRetryAfter(message, now);
    expect(retryAfter).toEqual(at('2026-06-03T10:00:00Z'));
    expect(nextRetryAt(1, now, retryAfter)).toEqual(at('2026-06-03T10:00:00Z'));
    expect(rateLimitRetryAfter('Connection refused', now)).toBeUndefined();
  });
});

describe('after a failure, scaled to the live certificate', () => {
  const HOUR = 3_600_000;
  const MIN = 60_000;
  const issued = at('2026-06-01T00:00:00Z');
  const lifetime = (ms: number) => ({ notBefore: issued, notAfter: new Date(issued.getTime() + ms) });
  const waitAfter = (attempts: number, now: Date, live: { notBefore: Date; notAfter: Date }) => nextRetryAt(attempts, now, undefined, live).getTime() - now.getTime();

  // [lifetime, failed attempts, hours into the life when it failed, expected wait]
  const table: [string, number, number, number, number][] = [
    ['90 days: the day cap, as before', 90 * DAY, 30, 70 * 24, DAY],
    ['45 days: the day cap (a tenth is 4.5 days)', 45 * DAY, 30, 30 * 24, DAY],
    ['10 days: a tenth is a day, the same', 10 * DAY, 30, 5 * 24, DAY],
    ['160 hours (shortlived): at most 16 hours, not a day', 160 * HOUR, 30, 80, 16 * HOUR],
    ['6 days at half life: at most 14.4 hours', 6 * DAY, 30, 72, 14.4 * HOUR],
    ['6 days, first failure: 5 minutes, unscaled', 6 * DAY, 1, 72, 5 * MIN],
    ['6 days, 8 h left: half of what is left (the tenth would be past expiry)', 6 * DAY, 30, 136, 4 * HOUR],
    ['20 seconds (the e2e stand-in): 2 seconds', 20_000, 3, 0.0028, 2_000],
  ];
  it.each(table)('%s', (_, ms, attempts, hoursIn, expected) => {
    const now = new Date(issued.getTime() + Math.round(hoursIn * HOUR));
    expect(waitAfter(attempts, now, lifetime(ms))).toBe(Math.floor(expected));
  });

  it('never retries past the expiry while the certificate is live, however many failures', () => {
    const live = lifetime(6 * DAY);
    for (let hoursIn = 72; hoursIn < 144; hoursIn += 1) {
      const now = new Date(issued.getTime() + hoursIn * HOUR);
      expect(nextRetryAt(40, now, undefined, live).getTime()).toBeLessThan(live.notAfter.getTime());
    }
  });

  it('keeps backing off by the lifetime once the certificate has expired', () => {
    const live = lifetime(6 * DAY);
    expect(waitAfter(30, new Date(live.notAfter.getTime() + HOUR), live)).toBe(Math.floor(14.4 * HOUR));
  });

  it("still waits for the CA's rate-limit time, even past the expiry (the CA refuses any order before it)", () => {
    const live = lifetime(6 * DAY);
    const now = new Date(issued.getTime() + 140 * HOUR);
    const retryAfter = new Date(issued.getTime() + 150 * HOUR);
    expect(nextRetryAt(2, now, retryAfter, live)).toEqual(retryAfter);
  });
});

describe('the expiry alarm threshold', () => {
  const issued = at('2026-06-01T00:00:00Z');
  const days = (n: number) => ({ notBefore: issued, notAfter: new Date(issued.getTime() + n * DAY) });
  // [lifetime in days, DEPLOY_ALARM_EXPIRY_DAYS, days left that alarm]
  const table: [number, number, number][] = [
    [90, 14, 14],
    [64, 14, 12.8],
    [45, 14, 9],
    [45, 7, 7],
    [160 / 24, 14, 160 / 24 / 5],
    [6, 14, 1.2],
  ];
  it.each(table)('a %d-day certificate with DEPLOY_ALARM_EXPIRY_DAYS=%d alarms below %d days left', (lifetime, configured, expected) => {
    expect(expiryAlarmDays(days(lifetime), configured)).toBeCloseTo(expected, 9);
  });

  it('is below every renewal point, so it means renewal has been failing', () => {
    for (const lifetime of [6, 160 / 24, 9.9, 10, 45, 64, 90]) {
      const live = days(lifetime);
      const rule = fallbackRule(live.notBefore, live.notAfter, undefined);
      const renewAt = renewalTime(live.notBefore, live.notAfter, rule);
      const leftAtRenewal = (live.notAfter.getTime() - renewAt.getTime()) / DAY;
      expect(expiryAlarmDays(live, 14)).toBeLessThan(leftAtRenewal);
    }
  });
});

describe('sweep verdict from the index alone', () => {
  const now = at('2026-06-01T00:00:00Z');
  const desired = { domainsKey: 'a.example.com,www.a.example.com', keyType: 'rsa-2048', directoryUrls: ['https://ca/dir'] };
  const entry: IndexEntry = {
    state: 'active',
    domainsKey: desired.domainsKey,
    keyType: 'rsa-2048',
    directoryUrl: 'https://ca/dir',
    serial: '0a',
    notAfter: '2026-08-01T00:00:00Z',
    renewAt: '2026-07-01T00:00:00Z',
    retryAt: undefined,
    ariCheckAt: undefined,
  };
  it.each([
    ['missing', undefined, false, 'issue', /not issued yet/],
    ['not due', entry, false, 'skip', /not due until 2026-07-01/],
    ['forced', entry, true, 'issue', /forced/],
    ['due', { ...entry, renewAt: '2026-05-31T00:00:00Z' }, false, 'issue', /renewal due/],
    ['names changed', { ...entry, domainsKey: 'a.example.com' }, false, 'issue', /set of names changed/],
    ['key type changed', { ...entry, keyType: 'ec-p256' }, false, 'issue', /key type changed/],
    ['CA changed', { ...entry, directoryUrl: 'https://other/dir' }, false, 'issue', /CA changed/],
    ['failed, waiting', { ...entry, state: 'failed' as const, retryAt: '2026-06-01T01:00:00Z' }, false, 'skip', /next retry/],
    ['failed, retry time passed', { ...entry, state: 'failed' as const, retryAt: '2026-05-31T23:00:00Z' }, false, 'issue', /retrying/],
    ['revoked', { ...entry, state: 'revoked' as const }, false, 'issue', /revoked/],
  ])('%s', (_label, current, force, action, reason) => {
    const verdict = sweepVerdict(desired, current, now, force);
    expect(verdict.action).toBe(action);
    expect(verdict.reason).toMatch(reason);
  });
});

describe('the certificate set (CERTIFICATES)', () => {
  it('parses names, domains and options', () => {
    expect(parseCertificateSet('shop=Shop.example.com,www.shop.example.com\n api=api.example.com;key=ec-p256;ca=letsencrypt;profile=tlsserver')).toEqual([
      { name: 'shop', domains: ['shop.example.com', 'www.shop.example.com'], keyType: undefined, directoryUrl: undefined, profile: undefined },
      {
        name: 'api',
        domains: ['api.example.com'],
        keyType: 'ec-p256',
        directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
        directoryUrls: ['https://acme-v02.api.letsencrypt.org/directory'],
        profile: 'tlsserver',
      },
    ]);
  });

  it('is empty when unset', () => {
    expect(parseCertificateSet(undefined)).toEqual([]);
  });

  it('reports every bad entry at once, naming it', () => {
    const attempt = () => parseCertificateSet('a=a.example.com a=b.example.com Bad=x.example.com c= d=*.example.com e=e.example.com;key=dsa');
    expect(attempt).toThrow(/entry "a" appears twice/);
    expect(attempt).toThrow(/entry "Bad": the name must be/);
    expect(attempt).toThrow(/entry "c" has no domains/);
    expect(attempt).toThrow(/entry "d": domain "\*.example.com" is not valid: wildcard/);
    expect(attempt).toThrow(/entry "e": option "key=dsa" is not valid/);
  });
});
