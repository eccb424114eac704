/**
 * When to ask the CA again about an order that is still `pending` or `processing` (RFC 8555
 * §7.1.6): every `intervalMs`, as certbot polls every second, or later when the CA asks for it
 * with Retry-After (RFC 8555 §7.4, §8.2), and not at all once `timeoutMs` has passed.
 *
 * A fixed interval rather than a doubling one: an order turns `ready` a moment after its last
 * challenge is validated, and a doubling wait overshoots that moment by up to the whole time
 * waited so far (at 2 s: polls at 2, 6, 14, 30 s where validation takes 1-3 s).
 */
export interface PollSchedule {
  /** ACME_POLL_MIN_MS: the shortest wait between two polls. */
  readonly intervalMs: number;
  /** The longest wait a Retry-After may ask for; longer ones are cut to this. */
  readonly maxIntervalMs: number;
  /** How long after the first poll to give up (certbot gives authorizations 90 s). */
  readonly timeoutMs: number;
}

export const MAX_POLL_INTERVAL_MS = 60_000;
export const POLL_TIMEOUT_MS = 180_000;

export function pollSchedule(intervalMs: number): PollSchedule {
  return { intervalMs, maxIntervalMs: Math.max(intervalMs, MAX_POLL_INTERVAL_MS), timeoutMs: Math.max(POLL_TIMEOUT_MS, intervalMs) };
}

/** The wait before the next poll, or undefined when the next poll would come after the timeout. */
export function nextPollDelay(schedule: PollSchedule, elapsedMs: number, retryAfter: string | undefined, now: Date): number | undefined {
  const asked = retryAfter === undefined ? undefined : retryAfterMs(retryAfter, now);
  const delay = Math.min(Math.max(schedule.intervalMs, asked ?? 0), schedule.maxIntervalMs);
  return elapsedMs + delay > schedule.timeoutMs ? undefined : delay;
}

/**
 * A Retry-After header (RFC 9110 §10.2.3) as milliseconds from `now`: delay-seconds or an
 * HTTP-date. Undefined for anything else and for a date already past.
 */
export function retryAfterMs(header: string, now: Date): number | undefined {
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date starts with a weekday (IMF-fixdate, RFC 850 or asctime, which has no zone and
  // means GMT); Date.parse alone would take "5 s" or "1.5" as dates.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at) || at <= now.getTime()) return undefined;
  return at - now.getTime();
}
