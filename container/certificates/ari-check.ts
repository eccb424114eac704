// The sweep's ARI check (RFC 9773): one unsigned GET per live certificate whose CA offers ARI,
// on every run once the CA's Retry-After has passed. An unchanged window costs no S3 read (the
// index holds the CertID and the window); a changed one re-plans through the record.
import { ErrorCodes, IssuerError, type IndexEntry, type ObjectStore } from '../../lib/core/index.js';
import { fetchDirectory, fetchRenewalInfo, type RenewalInfo } from '../acme/directory.js';
import type { Progress } from '../progress.js';
import { indexEntryOf, putIndexEntry } from '../../lib/store/index-store.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { loadRecord, saveRecord } from '../../lib/store/records.js';
import { readLiveFiles } from './archive.js';
import { planFromRenewalInfo, planRenewal, sameWindow } from './renewal-plan.js';

export interface AriCheckDeps {
  readonly store: ObjectStore;
  readonly progress: Progress;
  readonly now: () => Date;
  readonly renewBeforeDays: number | undefined;
}

export interface AriCheck {
  readonly entry: IndexEntry;
  /** Only the index entry's check time moved (the caller writes those together, in one index write). */
  readonly checkTimeOnly: boolean;
  /** The CA moved the window (`due`: so that the certificate is due now), with its explanationURL. */
  readonly moved?: { readonly due: boolean; readonly explanationUrl: string | undefined } | undefined;
}

/**
 * Whether this run asks ARI for the entry: the CA offers ARI for it (ariCheckAt is set only then)
 * and its Retry-After has passed, or the operator named the certificate (`renew NAME` asks at once).
 */
export function ariDue(entry: IndexEntry | undefined, now: Date, named: boolean): entry is IndexEntry {
  if (entry?.serial === undefined || entry.ariCheckAt === undefined || entry.state === 'revoked') return false;
  return named || new Date(entry.ariCheckAt) <= now;
}

export async function checkAri(deps: AriCheckDeps, name: string, entry: IndexEntry): Promise<AriCheck> {
  const now = deps.now();
  if (entry.ariCertId !== undefined && entry.ariWindow !== undefined) {
    let ari: RenewalInfo | undefined;
    try {
      ari = await fetchRenewalInfo(await fetchDirectory(entry.directoryUrl), entry.ariCertId, now);
    } catch (error) {
      // Not an error of the certificate: the plan stands and the next run asks again.
      deps.progress.info(`ARI for "${name}" not reachable (${error instanceof Error ? error.message : String(error)}); keeping the plan, asking again next run`, { name });
      return { entry, checkTimeOnly: false };
    }
    if (ari !== undefined && sameWindow(entry.ariWindow, isoWindow(ari))) {
      return { entry: { ...entry, ariCheckAt: ari.checkAgainAt.toISOString() }, checkTimeOnly: true };
    }
    return { ...(await replan(deps, name, entry, ari)), checkTimeOnly: false };
  }
  return { ...(await replan(deps, name, entry, undefined)), checkTimeOnly: false };
}

/** The window moved (or the entry predates the CertID in the index): a new plan through the record. */
async function replan(deps: AriCheckDeps, name: string, entry: IndexEntry, ari: RenewalInfo | undefined): Promise<Omit<AriCheck, 'checkTimeOnly'>> {
  const loaded = await loadRecord(deps.store, name);
  const metadata = await readLiveMetadata(deps.store, name);
  if (loaded === undefined || metadata === undefined || metadata.serial !== loaded.record.serial) return { entry };
  const lifetime = { notBefore: new Date(metadata.notBefore), notAfter: new Date(metadata.notAfter) };
  const plan =
    ari !== undefined && entry.ariCertId !== undefined && deps.renewBeforeDays === undefined
      ? planFromRenewalInfo(lifetime, entry.ariCertId, ari, loaded.record)
      : await planRenewal((await readLiveFiles(deps.store, metadata)).cert, lifetime, entry.directoryUrl, deps.renewBeforeDays, loaded.record, deps.now());
  const window = plan.ariWindow;
  let moved: AriCheck['moved'];
  if (loaded.record.ariWindow !== undefined && window !== undefined && !sameWindow(loaded.record.ariWindow, window)) {
    const due = plan.renewAt !== undefined && new Date(plan.renewAt) <= deps.now();
    deps.progress.info(
      `ARI: the CA moved the renewal window of "${name}" to ${window.start} .. ${window.end}${due ? ', which has begun: renewing now' : ''}${plan.ariExplanationUrl === undefined ? '' : `; the CA explains: ${plan.ariExplanationUrl}`}`,
      { name, ariWindow: window, renewAt: plan.renewAt, ...(plan.ariExplanationUrl === undefined ? {} : { explanationUrl: plan.ariExplanationUrl }) },
    );
    moved = { due, explanationUrl: plan.ariExplanationUrl };
  }
  let saved;
  try {
    saved = await saveRecord(deps.store, { record: { ...loaded.record, ...plan }, etag: loaded.etag });
  } catch (error) {
    // Another run changed the record meanwhile (it holds the lease and re-plans itself).
    if (error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) return { entry };
    throw error;
  }
  const updated = indexEntryOf(saved.record);
  await putIndexEntry(deps.store, name, updated);
  return { entry: updated, moved };
}

function isoWindow(ari: RenewalInfo): { start: string; end: string } {
  return { start: ari.window.start.toISOString(), end: ari.window.end.toISOString() };
}
