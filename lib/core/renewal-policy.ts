/**
 * When to renew, as a pure function of the certificate, the CA's renewal info and `now`
 * (never read the clock here: callers pass it, so tests and the sweep agree on one instant).
 */
export interface RenewalWindow {
  readonly start: Date;
  readonly end: Date;
}

export type RenewalRule = { readonly kind: 'ari'; readonly window: RenewalWindow } | { readonly kind: 'fraction'; readonly fraction: number } | { readonly kind: 'fixed-days'; readonly days: number };

const DAY_MS = 86_400_000;

/**
 * The fallback when the CA offers no ARI: renew with a third of the lifetime left, or half for
 * certificates shorter than 10 days (cert-manager's and Let's Encrypt's advice as lifetimes
 * shrink), unless the user fixed a number of days.
 */
export function fallbackRule(notBefore: Date, notAfter: Date, renewBeforeDays: number | undefined): Exclude<RenewalRule, { kind: 'ari' }> {
  if (renewBeforeDays !== undefined) return { kind: 'fixed-days', days: renewBeforeDays };
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return { kind: 'fraction', fraction: lifetime < 10 * DAY_MS ? 1 / 2 : 1 / 3 };
}

/**
 * The instant a certificate becomes due. For ARI the caller passes a `pick` in [0,1) chosen once
 * per window and kept in the record, so repeated runs agree on the time instead of re-rolling.
 */
export function renewalTime(notBefore: Date, notAfter: Date, rule: RenewalRule, pick = 0.5): Date {
  switch (rule.kind) {
    case 'ari': {
      const { start, end } = rule.window;
      const span = Math.max(0, end.getTime() - start.getTime());
      return new Date(start.getTime() + Math.floor(span * Math.min(Math.max(pick, 0), 0.999999)));
    }
    case 'fraction': {
      const lifetime = notAfter.getTime() - notBefore.getTime();
      return new Date(notAfter.getTime() - Math.round(lifetime * rule.fraction));
    }
    case 'fixed-days':
      return new Date(notAfter.getTime() - rule.days * DAY_MS);
  }
}

/** The validity of the certificate that is live while a renewal fails. */
export interface Lifetime {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The back-off never exceeds this fraction of the live certificate's lifetime. */
export const BACKOFF_LIFETIME_FRACTION = 1 / 10;

/**
 * Exponential back-off after failures: 5 minutes, doubling, at most a day (cert-manager caps at
 * 32 h). With a live certificate it scales to its lifetime: at most a tenth of it (a 160-hour
 * certificate waits at most 16 h, not a day; the cap binds only below 10 days, where renewal
 * starts at half the life, so at least five retries fit before expiry), and never past its expiry:
 * when the back-off would reach it, the retry comes after half the time left. A CA's rate-limit
 * time still wins when later: the CA refuses any order before it.
 */
export function nextRetryAt(failedAttempts: number, now: Date, retryAfter?: Date, live?: Lifetime): Date {
  let backoff = Math.min(5 * 60_000 * 2 ** Math.max(0, failedAttempts - 1), DAY_MS);
  if (live !== undefined) {
    const lifetime = live.notAfter.getTime() - live.notBefore.getTime();
    if (lifetime > 0) backoff = Math.min(backoff, Math.floor(lifetime * BACKOFF_LIFETIME_FRACTION));
    const left = live.notAfter.getTime() - now.getTime();
    if (left > 0 && backoff >= left) backoff = Math.floor(left / 2);
  }
  const byBackoff = new Date(now.getTime() + backoff);
  return retryAfter !== undefined && retryAfter > byBackoff ? retryAfter : byBackoff;
}

/** Alarm when at most this fraction of the lifetime is left, where it comes before DEPLOY_ALARM_EXPIRY_DAYS does. */
export const EXPIRY_ALARM_LIFETIME_FRACTION = 1 / 5;

/**
 * Days left below which a certificate is "expiring" (the `Certificate Expiring` event; the expiry
 * alarm's threshold): DEPLOY_ALARM_EXPIRY_DAYS, or a fifth of the lifetime when that is less. A
 * fixed 14 days would call a 6-day certificate expiring from the moment it is issued; a fifth is
 * past every renewal point (1/3 or 1/2 of the life left, an ARI window that ends before expiry),
 * so it still means renewal has been failing, and leaves a fifth of the life to fix it.
 */
export function expiryAlarmDays(live: Lifetime, configuredDays: number): number {
  const lifetimeDays = (live.notAfter.getTime() - live.notBefore.getTime()) / DAY_MS;
  return lifetimeDays > 0 ? Math.min(configuredDays, lifetimeDays * EXPIRY_ALARM_LIFETIME_FRACTION) : configuredDays;
}

/**
 * A rate-limit answer carries the time to retry in its detail (Let's Encrypt: "retry after
 * 2026-01-01 00:00:00 UTC"). Returns that time, or undefined when the error is not a rate limit.
 */
export function rateLimitRetryAfter(message: string, now: Date): Date | undefined {
  if (!/rate ?limit|too many/i.test(message)) return undefined;
  const match = /retry after ([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:]{8}(?:\.\d+)?(?: ?UTC|Z)?)/i.exec(message);
  if (match === null) return new Date(now.getTime() + 3 * 3_600_000); // LE's windows are hours long
  const parsed = new Date(match[1]!.replace(' UTC', 'Z').replace(' ', 'T'));
  return Number.isNaN(parsed.getTime()) ? new Date(now.getTime() + 3 * 3_600_000) : parsed;
}

/** RFC 9773 §4.1: the ARI CertID, base64url(AKI keyIdentifier) "." base64url(serial DER bytes). */
export function ariCertId(authorityKeyIdentifierHex: string, serialHex: string): string {
  const serial = serialHex.length % 2 === 0 ? serialHex : `0${serialHex}`;
  // DER INTEGER bytes: a leading 0x00 when the high bit is set (a positive number).
  const serialBytes = Buffer.from(serial, 'hex');
  const der = (serialBytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), serialBytes]) : serialBytes;
  return `${Buffer.from(authorityKeyIdentifierHex, 'hex').toString('base64url')}.${der.toString('base64url')}`;
}
