import { ErrorCodes, EventDetailTypes, IssuerError, assertCertName } from '../../lib/core/index.js';
import { readLiveFiles } from '../certificates/archive.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { indexEntryOf, putIndexEntry } from '../../lib/store/index-store.js';
import { withLease } from '../certificates/lease.js';
import { loadRecord, transition } from '../../lib/store/records.js';
import { factsOf } from '../observability/events.js';
import type { CommandContext } from './context.js';

/** RFC 5280 §5.3.1 reason codes that a subscriber may give (RFC 8555 §7.6). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function parseReason(value: string | undefined): RevocationReason {
  if (value === undefined) return 'unspecified';
  if (value in REVOCATION_REASONS) return value as RevocationReason;
  throw new IssuerError(ErrorCodes.USAGE, `--reason "${value}" is not valid`, { hint: `use one of ${Object.keys(REVOCATION_REASONS).join(', ')}` });
}

/**
 * `revoke NAME`: revokes the live certificate at its CA, signed with the account key, and records
 * `revoked`. The files stay where they are (ACM keeps serving until a new one is imported); while
 * the name is in CERTIFICATES the next `renew` issues a replacement into the same ARN.
 */
export async function revokeCommand(ctx: CommandContext, nameArg: string, reason: RevocationReason): Promise<void> {
  const { store, progress, now } = ctx;
  const name = assertCertName(nameArg);
  const metadata = await readLiveMetadata(store, name);
  const loaded = await loadRecord(store, name);
  if (metadata === undefined || loaded === undefined) {
    throw new IssuerError(ErrorCodes.NOT_FOUND, `no issued certificate named "${name}"`, { hint: 'run `list` to see the names' });
  }
  if (loaded.record.state === 'revoked' && loaded.record.serial === metadata.serial) {
    progress.result('revoked', { name, serial: metadata.serial, already: true });
    return;
  }
  const account = await ctx.account(metadata.directoryUrl);
  const stored = await withLease(store, name, { holder: progress.runId, now, ttlMs: ctx.config.leaseSeconds * 1000 }, async () => {
    const files = await readLiveFiles(store, metadata);
    await progress.step(`revoke serial ${metadata.serial} (${reason})`, () => account.issuer.revoke(files.cert, REVOCATION_REASONS[reason]));
    const current = (await loadRecord(store, name)) ?? loaded;
    // A compromised key is never ordered with again (the CA would refuse it too): the next issuance makes a new one.
    const revoked = await transition(store, current, 'revoked', `revoked (${reason})`, now(), { revokedAt: now().toISOString(), ...(reason === 'keyCompromise' ? { rotateKey: true } : {}) });
    await putIndexEntry(store, name, indexEntryOf(revoked.record));
    return revoked;
  });
  await ctx.events.publish(EventDetailTypes.revoked, factsOf(stored.record, metadata, name), { reason });
  progress.result('revoked', { name, serial: metadata.serial, reason });
}
