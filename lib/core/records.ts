import type { KeyType } from './config.js';
import type { ExportRecord } from './exports.js';

/** account/registration.json */
export interface AccountRegistration {
  readonly directoryUrl: string;
  readonly accountUrl: string;
  readonly contact: readonly string[];
  readonly keyType: KeyType;
  /** RFC 7638 thumbprint of the account key, as the responder computes it. */
  readonly thumbprint: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** live/NAME/metadata.json: the pointer to the archived version that is live. */
export interface LiveMetadata {
  readonly name: string;
  readonly serial: string;
  readonly archivePrefix: string;
  readonly names: readonly string[];
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly fingerprintSha256: string;
  readonly keyAlgorithm: string;
  readonly directoryUrl: string;
  readonly issuedAt: string;
  /** The version's hand-over document (archive/NAME/SERIAL/bundle.json); absent in pointers written before it existed. */
  readonly bundleKey?: string | undefined;
}

export const CERTIFICATE_STATES = ['pending', 'issuing', 'active', 'renewal-due', 'failed', 'revoked', 'expired'] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

export interface StateTransition {
  readonly at: string;
  readonly state: CertificateState;
  readonly cause: string;
}

export interface AcmRecord {
  readonly region: string;
  readonly certificateArn: string;
  /** Serial of the certificate last imported into this ARN. */
  readonly serial: string;
  readonly importedAt: string;
}

/**
 * An ACM certificate this one used to live at, replaced by a new ARN because ACM cannot change a
 * certificate's key algorithm in place. Deleted once nothing uses it; kept (and retried on later
 * runs) while ACM still lists something in its InUseBy.
 */
export interface RetiredAcmRecord {
  readonly region: string;
  readonly certificateArn: string;
  /** The ARN that took its place in this region. */
  readonly replacedBy: string;
  readonly retiredAt: string;
  /** What ACM last said still uses it (empty until the first check). */
  readonly inUseBy: readonly string[];
}

export interface PendingOrder {
  readonly url: string;
  /** The ARI CertID the order replaces, when it does. */
  readonly replaces?: string | undefined;
  /** Whether the order's CSR is for the live certificate's key (only then is its certificate usable after a crash). */
  readonly liveKey: boolean;
  readonly savedAt: string;
}

/** renewal/NAME.json: desired state plus what we know of the certificate's life. */
export interface RenewalRecord {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  readonly state: CertificateState;
  readonly serial: string | undefined;
  readonly notAfter: string | undefined;
  readonly acm: readonly AcmRecord[];
  readonly lastError: { readonly at: string; readonly code: string; readonly message: string } | undefined;
  readonly history: readonly StateTransition[];
  readonly updatedAt: string;
  readonly notBefore?: string | undefined;
  readonly profile?: string | undefined;
  /** When this certificate becomes due, and by which rule ("ari", "1/3 of lifetime", "30 days"). */
  readonly renewAt?: string | undefined;
  readonly renewalRule?: string | undefined;
  /** ARI: the CA's window, our pick inside it (kept so runs agree), and when to ask again. */
  readonly ariWindow?: { readonly start: string; readonly end: string } | undefined;
  readonly ariPick?: number | undefined;
  readonly ariCheckAt?: string | undefined;
  /** ARI: the CA's explanationURL for the current window (RFC 9773 §4.2), shown in `show` and the events. */
  readonly ariExplanationUrl?: string | undefined;
  /** ARI CertID of the live certificate (RFC 9773 §4.1): the sweep asks ARI with it without reading the certificate. */
  readonly ariCertId?: string | undefined;
  /**
   * The order of an issuance in progress, saved (under the lease) before it is finalized: a run
   * that dies between finalize and storage is finished from this order by the next run instead
   * of ordering a second replacement (which the CA refuses with alreadyReplaced).
   */
  readonly pendingOrder?: PendingOrder | undefined;
  /** The ACME order the live certificate came from, and the CertID it replaced (RFC 9773 `replaces`), when it did. */
  readonly order?: { readonly url: string; readonly replaces?: string | undefined } | undefined;
  /** Consecutive failures, and the earliest next attempt (back-off or the CA's rate-limit time). */
  readonly failedAttempts?: number | undefined;
  readonly retryAt?: string | undefined;
  readonly revokedAt?: string | undefined;
  /** When `Certificate Expiring` was last sent for this certificate (it goes out at most once a day). */
  readonly expiringEventAt?: string | undefined;
  /** The next issuance makes a new private key (set by `revoke --reason keyCompromise`), whatever the key type. */
  readonly rotateKey?: boolean | undefined;
  /** Secrets Manager / SSM / listener hand-overs of the live certificate (same ids across renewals). */
  readonly exports?: readonly ExportRecord[] | undefined;
  /** Old ACM ARNs left by a key-type change, pending deletion until nothing uses them. */
  readonly retiredAcm?: readonly RetiredAcmRecord[] | undefined;
}

/** Keeps a record's history bounded; the archive keeps every certificate, this keeps the story. */
export const MAX_HISTORY = 50;

export function withState(record: RenewalRecord, state: CertificateState, cause: string, now: Date): RenewalRecord {
  const at = now.toISOString();
  return {
    ...record,
    state,
    updatedAt: at,
    history: [...record.history, { at, state, cause }].slice(-MAX_HISTORY),
  };
}

/** The state a person should see now: a stored `active` past its renewal time is due, past notAfter expired (the one rule `list`, `show` and the API share). */
export function effectiveState(entry: { state: CertificateState; renewAt?: string | undefined; notAfter?: string | undefined }, now: Date): CertificateState {
  if (entry.state !== 'revoked' && entry.notAfter !== undefined && new Date(entry.notAfter) <= now) return 'expired';
  if (entry.state === 'active' && entry.renewAt !== undefined && new Date(entry.renewAt) <= now) return 'renewal-due';
  return entry.state;
}
