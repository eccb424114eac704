import { ErrorCodes, EventDetailTypes, IssuerError, expiringEventDue, expiryAlarmDays } from '../../lib/core/index.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { withLease } from '../certificates/lease.js';
import { loadRecord, saveRecord } from '../../lib/store/records.js';
import type { CommandContext } from '../commands/context.js';
import { factsOf } from './events.js';

const DAY_MS = 86_400_000;

/**
 * `Certificate Expiring` for each certificate with fewer than EXPIRING_EVENT_DAYS left (or a fifth of its lifetime, if less), at most
 * once a day each: the time it was sent is claimed in the record first (under the lease, with
 * If-Match), so two runs in the same day send it once. Only certificates under the threshold cost
 * a read; one whose lease another run holds is left to that run or the next. Never throws.
 */
export async function publishExpiring(ctx: CommandContext, certificates: readonly { name: string; notAfter: string | undefined }[]): Promise<void> {
  const { config, store, now, progress } = ctx;
  if (config.events.bus === undefined) return;
  for (const { name, notAfter } of certificates) {
    if (!expiringEventDue(notAfter, undefined, config.events.expiringDays, now())) continue;
    try {
      await withLease(store, name, { holder: progress.runId, now, ttlMs: config.leaseSeconds * 1000 }, async () => {
        const loaded = await loadRecord(store, name);
        if (loaded === undefined) return;
        // Scaled to the lifetime (a fifth of it where that is less): a 6-day certificate is not "expiring" when issued
        const { notBefore, notAfter: recordedNotAfter } = loaded.record;
        const threshold =
          notBefore === undefined || recordedNotAfter === undefined ? config.events.expiringDays : expiryAlarmDays({ notBefore: new Date(notBefore), notAfter: new Date(recordedNotAfter) }, config.events.expiringDays);
        if (!expiringEventDue(recordedNotAfter, loaded.record.expiringEventAt, threshold, now())) return;
        const saved = await saveRecord(store, { record: { ...loaded.record, expiringEventAt: now().toISOString() }, etag: loaded.etag });
        const metadata = await readLiveMetadata(store, name);
        const left = new Date(saved.record.notAfter!).getTime() - now().getTime();
        await ctx.events.publish(EventDetailTypes.expiring, factsOf(saved.record, metadata, name), { daysLeft: Math.floor(left / DAY_MS), ariExplanationUrl: saved.record.ariExplanationUrl });
      });
    } catch (error) {
      if (error instanceof IssuerError && (error.code === ErrorCodes.LOCK_HELD || error.code === ErrorCodes.CONFLICT)) continue;
      progress.info(`warning: could not check whether "${name}" needs a Certificate Expiring event: ${error instanceof Error ? error.message : String(error)}`, { name });
    }
  }
}
