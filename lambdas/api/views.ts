import { effectiveState, type CertificateState, type Declaration, type IndexEntry, type LiveMetadata, type RenewalRecord, type StateTransition } from '../../lib/core/index.js';

/**
 * What the API answers about a certificate (openapi.json, Certificate and Status), from what the
 * store holds: the renewal index or record, the declaration, the live pointer. The state is the
 * one `list` and `show` print (effectiveState); a certificate declared and not issued is pending.
 * Never a private key: nothing here reads one, and the chain is the public fullchain.pem.
 */
export interface CertificateView {
  readonly name: string;
  readonly domains: readonly string[];
  readonly state: CertificateState;
  /** Absent: not declared through the API or `declare` (CERTIFICATES, the deployment): administrators only. */
  readonly owner?: string;
  readonly keyType?: string;
  readonly ca?: string;
  readonly notAfter?: string;
  readonly renewAt?: string;
  readonly acmArns?: readonly string[];
  readonly chain?: string;
  /** The detail only (GET /certificates/{name}): what `show` tells, for the dashboard's detail. */
  readonly profile?: string;
  readonly renewalRule?: string;
  readonly lastError?: { readonly at: string; readonly code: string; readonly message: string };
  readonly history?: readonly StateTransition[];
}

export interface StatusView {
  readonly name: string;
  readonly state: CertificateState;
  readonly message?: string;
  readonly retryAt?: string;
}

/** One row of GET /certificates: from the two summaries alone (two reads, whatever the count). */
export function listView(name: string, entry: IndexEntry | undefined, declaration: Declaration | undefined, now: Date): CertificateView {
  if (entry === undefined) return declaredView(name, declaration!);
  return {
    name,
    domains: entry.domainsKey.split(','),
    state: effectiveState(entry, now),
    ...(declaration === undefined ? {} : { owner: declaration.owner }),
    keyType: entry.keyType,
    ca: entry.directoryUrl,
    ...optional('notAfter', entry.notAfter),
    ...optional('renewAt', entry.retryAt ?? entry.renewAt),
    acmArns: entry.acmArns ?? [],
  };
}

/** GET /certificates/{name}: the record when there is one, the declaration otherwise, and the public chain. */
export function detailView(name: string, record: RenewalRecord | undefined, declaration: Declaration | undefined, live: LiveMetadata | undefined, chain: string | undefined, now: Date): CertificateView {
  if (record === undefined) return { ...declaredView(name, declaration!), ...(live === undefined ? {} : { domains: live.names, notAfter: live.notAfter }), ...optional('chain', chain) };
  return {
    name,
    domains: record.domains,
    state: effectiveState(record, now),
    ...(declaration === undefined ? {} : { owner: declaration.owner }),
    keyType: record.keyType,
    ca: record.directoryUrl,
    ...optional('notAfter', record.notAfter),
    ...optional('renewAt', record.retryAt ?? record.renewAt),
    acmArns: record.acm.map((r) => r.certificateArn),
    ...optional('chain', chain),
    ...optional('profile', record.profile),
    ...optional('renewalRule', record.renewalRule),
    ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
    history: record.history,
  };
}

/** GET /certificates/{name}/status: a failure carries its message and when it is tried again. */
export function statusView(name: string, record: RenewalRecord | undefined, now: Date): StatusView {
  if (record === undefined) return { name, state: 'pending' };
  const state = effectiveState(record, now);
  const error = record.lastError;
  return {
    name,
    state,
    ...(state === 'failed' && error !== undefined ? { message: `${error.code}: ${error.message}` } : {}),
    ...optional('retryAt', record.retryAt),
  };
}

function declaredView(name: string, declaration: Declaration): CertificateView {
  return {
    name,
    domains: declaration.domains,
    state: 'pending',
    owner: declaration.owner,
    ...optional('keyType', declaration.keyType),
    ...optional('ca', declaration.directoryUrl),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
