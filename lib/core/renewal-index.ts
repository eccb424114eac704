import type { CertificateState } from './records.js';
import { layout } from './layout.js';
import { parseStored, renewalIndexShape } from './stored-shapes.js';

/**
 * renewal/_index.json: what the sweep needs to decide, for every certificate, in one object.
 * A sweep with nothing due reads this and nothing else; the per-certificate record stays the
 * authority and is re-read (under the lease) before any work, so a stale index costs a read,
 * never a wrong issuance.
 */
export interface IndexEntry {
  readonly state: CertificateState;
  /** domainsKey() of the names the live certificate covers. */
  readonly domainsKey: string;
  readonly keyType: string;
  readonly directoryUrl: string;
  readonly serial: string | undefined;
  readonly notAfter: string | undefined;
  /** The live certificate's notBefore: its lifetime scales the expiry alarm (absent in indexes written before it). */
  readonly notBefore?: string | undefined;
  /** When the certificate becomes due (ARI pick or the fallback rule). */
  readonly renewAt: string | undefined;
  /** After a failure: not before this time (back-off or the CA's rate-limit time). */
  readonly retryAt: string | undefined;
  /** When ARI may be asked again (its Retry-After). */
  readonly ariCheckAt: string | undefined;
  /** ARI CertID and the CA's last window: a sweep asks ARI and sees an unchanged window without reading the record. */
  readonly ariCertId?: string | undefined;
  readonly ariWindow?: { readonly start: string; readonly end: string } | undefined;
  /** Every ACM ARN the certificate lives at (for `list` without reading each record). */
  readonly acmArns?: readonly string[];
  /** Old ACM ARNs still pending deletion after a key-type change: a sweep retries them even when nothing is due. */
  readonly retiredAcmArns?: readonly string[];
}

export interface RenewalIndex {
  readonly version: 1;
  readonly entries: Readonly<Record<string, IndexEntry>>;
}

export const EMPTY_INDEX: RenewalIndex = { version: 1, entries: {} };

/** What to do about a damaged index: nothing by hand, it is derived from the records. */
export const INDEX_REBUILD_HINT = `${layout.renewalIndex} is derived from renewal/*.json: the next \`renew\` or \`list\` rebuilds it (its current content stays in the bucket's version history)`;

export function parseRenewalIndex(key: string, text: string): RenewalIndex {
  return parseStored<RenewalIndex>(key, text, renewalIndexShape, INDEX_REBUILD_HINT);
}

export function withEntry(index: RenewalIndex, name: string, entry: IndexEntry | undefined): RenewalIndex {
  const entries = { ...index.entries };
  if (entry === undefined) delete entries[name];
  else entries[name] = entry;
  return { version: 1, entries };
}

/** What a sweep decides for one desired certificate from its index entry alone. */
export type SweepVerdict = { readonly action: 'issue'; readonly reason: string } | { readonly action: 'skip'; readonly reason: string };

/** `directoryUrls`: the certificate's CAs; a certificate issued by any of them (after a failover) has not changed CA. */
export function sweepVerdict(desired: { domainsKey: string; keyType: string; directoryUrls: readonly string[] }, entry: IndexEntry | undefined, now: Date, force: boolean): SweepVerdict {
  if (entry === undefined || entry.serial === undefined) return { action: 'issue', reason: 'not issued yet' };
  if (force) return { action: 'issue', reason: 'forced' };
  if (entry.state === 'issuing') return { action: 'issue', reason: 'an earlier run did not finish' };
  if (entry.domainsKey !== desired.domainsKey) return { action: 'issue', reason: 'the set of names changed' };
  if (entry.keyType !== desired.keyType) return { action: 'issue', reason: `the key type changed to ${desired.keyType}` };
  if (!desired.directoryUrls.includes(entry.directoryUrl)) return { action: 'issue', reason: 'the CA changed' };
  if (entry.state === 'revoked') return { action: 'issue', reason: 'the certificate was revoked' };
  if (entry.retryAt !== undefined && new Date(entry.retryAt) > now) {
    return { action: 'skip', reason: `failed; next retry at ${entry.retryAt}` };
  }
  if (entry.state === 'failed') return { action: 'issue', reason: 'retrying after a failure' };
  if (entry.renewAt !== undefined && new Date(entry.renewAt) <= now) return { action: 'issue', reason: `renewal due since ${entry.renewAt}` };
  if (entry.notAfter !== undefined && new Date(entry.notAfter) <= now) return { action: 'issue', reason: 'expired' };
  return { action: 'skip', reason: `not due until ${entry.renewAt ?? 'unknown'}` };
}
