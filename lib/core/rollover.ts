/**
 * Account key rollover timing (docs/operations.md, "Rolling the account key over"). A responder
 * trusts what it read from account/jwk.json for JWK_REFRESH_SECONDS, so once the next key is
 * published with `nextFrom` at least that far ahead, every responder holds it before `nextFrom`
 * and all of them switch their answer at the same instant, without reading S3 again.
 */

/**
 * Beyond JWK_REFRESH_SECONDS: a responder read that began before the publishing PUT and ended
 * after it (its cache time is the read's end), and clock skew between Lambda and the task (both
 * NTP-synced by AWS, milliseconds apart).
 */
export const ROLLOVER_SWITCH_MARGIN_SECONDS = 5;

/** When responders switch to the next key, for a jwk.json published at `publishedAt`. */
export function rolloverSwitchAt(publishedAt: Date, jwkRefreshSeconds: number): Date {
  return new Date(publishedAt.getTime() + (jwkRefreshSeconds + ROLLOVER_SWITCH_MARGIN_SECONDS) * 1000);
}
