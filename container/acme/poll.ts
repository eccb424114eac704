import { setTimeout as sleep } from 'node:timers/promises';
import { nextPollDelay, type PollSchedule } from '../../lib/core/index.js';
import type { AcmeAnswer, AcmeClient } from './client.js';

const DONE = new Set(['ready', 'valid']);
const FAILED = new Set(['invalid', 'revoked', 'expired', 'deactivated']);

interface WithStatus {
  readonly status?: string;
  readonly error?: { detail?: string };
  readonly detail?: string;
}

/**
 * Polls an order (or any ACME resource with a status) until it is `ready` or `valid`, on the
 * schedule of lib/core/poll-schedule.ts (fixed interval, Retry-After honoured, a timeout). A
 * failed status throws at once with the CA's detail.
 */
export async function waitForStatus<T extends WithStatus>(client: AcmeClient, url: string, schedule: PollSchedule, options: { readonly waitFirst?: boolean } = {}): Promise<AcmeAnswer<T>> {
  const started = Date.now();
  // Right after the challenges are answered the CA has not validated yet (it connects back to
  // every name first): a poll then is a request spent for nothing, so the first waits one interval.
  if (options.waitFirst === true) await sleep(schedule.intervalMs);
  for (;;) {
    const answer = await client.fetch<T>(url);
    const status = answer.body.status ?? '(none)';
    if (DONE.has(status)) return { ...answer, url };
    if (FAILED.has(status)) {
      const detail = answer.body.error?.detail ?? answer.body.detail ?? JSON.stringify(answer.body.error ?? {});
      throw new Error(`${url} is ${status}: ${detail}`);
    }
    if (status !== 'pending' && status !== 'processing') throw new Error(`${url} has the unexpected status "${status}"`);
    const retryAfter = answer.headers['retry-after'];
    const delay = nextPollDelay(schedule, Date.now() - started, typeof retryAfter === 'string' ? retryAfter : undefined, new Date());
    if (delay === undefined) {
      throw new Error(`${url} is still ${status} after ${Math.round((Date.now() - started) / 1000)} s of polling every ${schedule.intervalMs} ms`);
    }
    await sleep(delay);
  }
}
