// The dashboard's colour for days left: measured against the certificate's own renewal time, so a
// short-lived certificate on schedule is green and a long one past its renewal is not.
import { describe, expect, it } from 'vitest';
import { daysLeft, urgencyOf } from '../../../../scripts/dashboard/page/urgency.js';

const now = new Date('2026-12-02T12:00:00Z');
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();

describe('urgencyOf', () => {
  it.each([
    ['a 90-day certificate before its renewal time', { state: 'active', notAfter: inDays(80), renewAt: inDays(50) }, 'ok'],
    ['a 6-day shortlived one two days from expiry, renewal not yet due', { state: 'active', notAfter: inDays(2), renewAt: inDays(1) }, 'ok'],
    ['past its renewal time, most of the margin left', { state: 'renewal-due', notAfter: inDays(25), renewAt: inDays(-5) }, 'due'],
    ['past its renewal time, under half the margin left', { state: 'renewal-due', notAfter: inDays(10), renewAt: inDays(-20) }, 'critical'],
    ['failed before its renewal time', { state: 'failed', notAfter: inDays(80), renewAt: inDays(50) }, 'due'],
    ['expired', { state: 'active', notAfter: inDays(-1), renewAt: inDays(-30) }, 'expired'],
    ['stored as expired', { state: 'expired', notAfter: inDays(1) }, 'expired'],
    ['no renewal time, 40 days left', { state: 'active', notAfter: inDays(40) }, 'ok'],
    ['no renewal time, 20 days left', { state: 'active', notAfter: inDays(20) }, 'due'],
    ['no renewal time, 3 days left', { state: 'active', notAfter: inDays(3) }, 'critical'],
    ['a renewal time after expiry is no yardstick', { state: 'active', notAfter: inDays(3), renewAt: inDays(5) }, 'critical'],
    ['nothing issued yet', { state: 'pending' }, 'none'],
  ] as const)('%s', (_, certificate, expected) => {
    expect(urgencyOf(certificate, now)).toBe(expected);
  });
});

describe('daysLeft', () => {
  it('counts whole days, negative once expired, none before issuance', () => {
    expect(daysLeft({ state: 'active', notAfter: inDays(29.9) }, now)).toBe(29);
    expect(daysLeft({ state: 'active', notAfter: inDays(-0.5) }, now)).toBe(-1);
    expect(daysLeft({ state: 'pending' }, now)).toBeUndefined();
  });
});
