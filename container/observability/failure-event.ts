import { EventDetailTypes } from '../../lib/core/index.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { loadRecord } from '../../lib/store/records.js';
import type { CommandContext } from '../commands/context.js';
import { factsOf } from './events.js';

/**
 * `Certificate Renewal Failed` for a failure this run recorded (state `failed`, lastError written
 * since `since`): errors that changed nothing (a lease held, bad input) are no state change and
 * send nothing. The detail names the certificate still live, the error, the next retry and the
 * attempt count, all read back from the record the failure wrote. Never throws.
 */
export async function publishFailure(ctx: CommandContext, name: string, since: Date, operation: 'issue' | 'renew'): Promise<void> {
  const [loaded, metadata] = await Promise.all([loadRecord(ctx.store, name).catch(() => undefined), readLiveMetadata(ctx.store, name).catch(() => undefined)]);
  const record = loaded?.record;
  const lastError = record?.lastError;
  if (record?.state !== 'failed' || lastError === undefined || new Date(lastError.at) < since) return;
  await ctx.events.publish(EventDetailTypes.renewalFailed, factsOf(record, metadata, name), {
    reason: operation,
    error: { code: lastError.code, message: lastError.message, retryAt: record.retryAt, attempts: record.failedAttempts ?? 1 },
  });
}
