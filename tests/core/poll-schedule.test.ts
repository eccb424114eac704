import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POLL_INTERVAL_MS, nextPollDelay, pollSchedule, POLL_TIMEOUT_MS, retryAfterMs } from '../../lib/core/index.js';

const now = new Date('2026-11-23T17:00:00Z');

describe('Retry-After (RFC 9110 §10.2.3)', () => {
  it('reads delay-seconds', () => {
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs(' 120 ', now)).toBe(120_000);
    expect(retryAfterMs('0', now)).toBe(0);
  });

  it('reads the three HTTP-date forms, all meaning GMT', () => {
    expect(retryAfterMs('Mon, 23 Nov 2026 17:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Monday, 23-Nov-26 17:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon Nov 23 17:00:30 2026', now)).toBe(30_000);
  });

  it('ignores a date already past and anything that is neither form', () => {
    for (const text of ['Sun, 06 Nov 1994 08:49:37 GMT', '1.5', '-3', '5 s', '', 'soon', 'Mon, garbage', '2026-11-23T17:00:30Z']) {
      expect(retryAfterMs(text, now), text).toBeUndefined();
    }
  });
});

describe('poll schedule', () => {
  const local = pollSchedule(25);
  const production = pollSchedule(2000);

  it('polls at the fixed interval when the CA gives no Retry-After, not doubling', () => {
    const delays = [0, 25, 50, 75, 1000, 30_000].map((elapsed) => nextPollDelay(local, elapsed, undefined, now));
    expect(delays).toEqual([25, 25, 25, 25, 25, 25]);
    expect(nextPollDelay(production, 14_000, undefined, now)).toBe(2000);
  });

  it('waits as long as Retry-After asks, but never less than the interval nor more than the cap', () => {
    expect(nextPollDelay(production, 0, '7', now)).toBe(7000);
    expect(nextPollDelay(production, 0, '1', now)).toBe(2000);
    expect(nextPollDelay(production, 0, '3600', now)).toBe(MAX_POLL_INTERVAL_MS);
    expect(nextPollDelay(production, 0, 'Mon, 23 Nov 2026 17:00:10 GMT', now)).toBe(10_000);
    expect(nextPollDelay(production, 0, 'garbage', now)).toBe(2000);
  });

  it('stops once the next poll would come after the timeout', () => {
    expect(nextPollDelay(production, POLL_TIMEOUT_MS - 2000, undefined, now)).toBe(2000);
    expect(nextPollDelay(production, POLL_TIMEOUT_MS - 1999, undefined, now)).toBeUndefined();
    expect(nextPollDelay(production, 0, '3600', now)).toBeDefined();
    expect(nextPollDelay(production, POLL_TIMEOUT_MS - 30_000, '60', now)).toBeUndefined();
  });

  it('never waits less than the interval, more than the cap, or past the timeout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 60_000 }), fc.integer({ min: 0, max: 400_000 }), fc.option(fc.string()), (interval, elapsed, header) => {
        const schedule = pollSchedule(interval);
        const delay = nextPollDelay(schedule, elapsed, header ?? undefined, now);
        if (delay === undefined) return elapsed + interval > schedule.timeoutMs;
        return delay >= interval && delay <= schedule.maxIntervalMs && elapsed + delay <= schedule.timeoutMs;
      }),
    );
  });
});
