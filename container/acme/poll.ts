import { setTimeout as sleep } from 'node:timers/promises';
import type acme from 'acme-client';
import { nextPollDelay, type PollSchedule } from '../../lib/core/index.js';

/** acme-client's signed POST-as-GET (src/api.js), which answers with the headers too. */
interface ApiInternals {
  apiRequest(url: string, payload: null, validStatusCodes: number[]): Promise<{ headers: Record<string, unknown>; data: { status?: string; error?: { detail?: string }; detail?: string } }>;
}

const DONE = new Set(['ready', 'valid']);
const FAILED = new Set(['invalid', 'revoked', 'expired', 'deactivated']);

/**
 * Polls an order (or any ACME resource with a status) until it is `ready` or `valid`, on the
 * schedule of lib/core/poll-schedule.ts (fixed interval, Retry-After honoured, a timeout). It
 * replaces acme-client's waitForValidStatus, whose doubling back-off ignores Retry-After. A
 * failed status throws at once with the CA's detail, as waitForValidStatus did.
 */
export async function waitForStatus<T extends { url: string }>(client: acme.Client, resource: T, schedule: PollSchedule): Promise<T> {
  const api = (client as unknown as { api: ApiInternals }).api;
  const started = Date.now();
  for (;;) {
    const response = await api.apiRequest(resource.url, null, [200]);
    const status = response.data.status ?? '(none)';
    if (DONE.has(status)) return { ...resource, ...response.data } as T;
    if (FAILED.has(status)) {
      const detail = response.data.error?.detail ?? response.data.detail ?? JSON.stringify(response.data.error ?? {});
      throw new Error(`${resource.url} is ${status}: ${detail}`);
    }
    if (status !== 'pending' && status !== 'processing') throw new Error(`${resource.url} has the unexpected status "${status}"`);
    const retryAfter = response.headers['retry-after'];
    const delay = nextPollDelay(schedule, Date.now() - started, typeof retryAfter === 'string' ? retryAfter : undefined, new Date());
    if (delay === undefined) {
      throw new Error(`${resource.url} is still ${status} after ${Math.round((Date.now() - started) / 1000)} s of polling every ${schedule.intervalMs} ms`);
    }
    await sleep(delay);
  }
}
