// How urgent a certificate looks on the dashboard, from its dates alone (no DOM: unit-tested).
// The renewal time is the yardstick, not a fixed number of days: a 6-day shortlived certificate
// two days from expiry is on schedule, a 90-day one 20 days from expiry is late. Green until the
// renewal time, amber once it has passed (or the last attempt failed), red when less than half of
// the margin the renewal time left is still there, or expired. Without a renewal time (a CA or
// record that gives none) it falls back to what certbot users know: amber under 30 days, red under 7.

export type Urgency = 'none' | 'ok' | 'due' | 'critical' | 'expired';

export interface Dated {
  readonly state: string;
  readonly notAfter?: string | undefined;
  readonly renewAt?: string | undefined;
}

const DAY_MS = 86_400_000;

/** Whole days left before notAfter (negative once expired); undefined when nothing is issued. */
export function daysLeft(certificate: Dated, now: Date): number | undefined {
  if (certificate.notAfter === undefined) return undefined;
  return Math.floor((Date.parse(certificate.notAfter) - now.getTime()) / DAY_MS);
}

export function urgencyOf(certificate: Dated, now: Date): Urgency {
  if (certificate.notAfter === undefined) return 'none';
  const notAfter = Date.parse(certificate.notAfter);
  const left = notAfter - now.getTime();
  if (left <= 0 || certificate.state === 'expired') return 'expired';
  const renewAt = certificate.renewAt === undefined ? Number.NaN : Date.parse(certificate.renewAt);
  if (Number.isNaN(renewAt) || renewAt >= notAfter) {
    if (left < 7 * DAY_MS) return 'critical';
    return left < 30 * DAY_MS || certificate.state === 'failed' ? 'due' : 'ok';
  }
  if (now.getTime() < renewAt) return certificate.state === 'failed' ? 'due' : 'ok';
  return left < (notAfter - renewAt) / 2 ? 'critical' : 'due';
}
