import { describe, expect, it } from 'vitest';
import { ariCertId, fallbackRule, nextRetryAt, parseCertificateSet, rateLimitRetryAfter, renewalTime, sweepVerdict, type IndexEntry } from '../../lib/core/index.js';

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
