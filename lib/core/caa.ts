/**
 * CAA (RFC 8659) with account and method binding (RFC 8657): which CAA RRset applies to a name,
 * whether it lets our CA issue to our account over HTTP-01, and the record that pins this
 * deployment. From 2027-03-15 every public CA honours accounturi and validationmethods, so a pin
 * naming another account (or a re-registered one) stops issuance; the pre-flight says so first.
 * Pure: the DNS lookup is passed in.
 */

/** One CAA resource record as the resolver returned it. */
export interface CaaRecord {
  /** The flags byte; bit 0 (128) is the Issuer Critical flag. */
  readonly flags: number;
  /** The property tag, as written (compared case-insensitively). */
  readonly tag: string;
  readonly value: string;
}

/** Who asks: the CA's issuer domain names (directory meta.caaIdentities), our account, our method. */
export interface CaaRequester {
  /** Empty when the CA's directory lists none: then only the account and the method can be checked. */
  readonly identities: readonly string[];
  readonly accountUrl: string;
}

/** The only validation method this issuer answers (RFC 8657 §4 method names). */
export const CAA_METHOD = 'http-01';

/** Tags a CA understands today; the Issuer Critical flag on any other forbids issuance (RFC 8659 §4.1). */
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef', 'contactemail', 'contactphone', 'issuemail', 'issuevmc']);

const LABEL = /^[A-Za-z0-9](?:-*[A-Za-z0-9])*$/;
const PARAMETER = /^([A-Za-z0-9](?:-*[A-Za-z0-9])*)[ \t]*=[ \t]*([\x21-\x3A\x3C-\x7E]*)$/;

/** The names whose CAA RRset is looked up, most specific first, up to (not including) the root (RFC 8659 §3). */
export function caaLookupNames(domain: string): string[] {
  const base = domain.replace(/\.$/, '').replace(/^\*\./, '').toLowerCase();
  const labels = base.split('.').filter((label) => label !== '');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** The relevant RRset: the first non-empty one walking up from the name; undefined when none exists. */
export interface RelevantCaa {
  /** The name the records were found at. */
  readonly at: string;
  readonly records: readonly CaaRecord[];
}

/**
 * Walks up the tree (RFC 8659 §3). `lookup` returns the CAA records at one name, [] when it has
 * none (NODATA, NXDOMAIN), and throws when the lookup failed: a CA refuses then too, so the walk
 * stops and the error goes to the caller. CNAMEs are followed by the resolver, as RFC 8659 says.
 */
export async function relevantCaa(domain: string, lookup: (name: string) => Promise<readonly CaaRecord[]>): Promise<RelevantCaa | undefined> {
  for (const name of caaLookupNames(domain)) {
    const records = await lookup(name);
    if (records.length > 0) return { at: name, records };
  }
  return undefined;
}

/** An issue/issuewild value (RFC 8659 §4.2); undefined when malformed (such a record authorizes nobody). */
export interface IssueValue {
  /** undefined for `;` alone: no CA may issue. */
  readonly issuer: string | undefined;
  readonly parameters: ReadonlyMap<string, string>;
}

export function parseIssueValue(value: string): IssueValue | undefined {
  const semicolon = value.indexOf(';');
  const domainPart = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  const issuer = domainPart === '' ? undefined : domainPart.replace(/\.$/, '').toLowerCase();
  if (issuer !== undefined && !issuer.split('.').every((label) => LABEL.test(label))) return undefined;
  const parameters = new Map<string, string>();
  if (semicolon >= 0) {
    for (const raw of value.slice(semicolon + 1).split(';')) {
      const item = raw.trim();
      if (item === '') continue;
      const match = PARAMETER.exec(item);
      if (match === null) return undefined;
      const key = match[1]!.toLowerCase();
      // Two accounturi (or validationmethods) in one record make it unusable (RFC 8657 §3, §4).
      if (parameters.has(key)) return undefined;
      parameters.set(key, match[2]!);
    }
  }
  return { issuer, parameters };
}

export type CaaRefusal = 'critical' | 'ca' | 'account' | 'method';

export type CaaVerdict =
  | {
      readonly allowed: true;
      /** Where the relevant RRset was; undefined when no name up the tree has CAA. */
      readonly at: string | undefined;
      /** The record that allowed us; undefined when nothing restricts issuance. */
      readonly by: string | undefined;
      /** The CA's identities are unknown, so a record naming any CA was taken as ours. */
      readonly caUnverified: boolean;
    }
  | { readonly allowed: false; readonly at: string; readonly refusal: CaaRefusal; readonly summary: string };

/** Whether the relevant RRset lets the requester's CA issue for `domain` to its account over HTTP-01 (RFC 8659 §4, RFC 8657). */
export function evaluateCaa(domain: string, relevant: RelevantCaa | undefined, requester: CaaRequester): CaaVerdict {
  if (relevant === undefined) return { allowed: true, at: undefined, by: undefined, caUnverified: false };
  const { at, records } = relevant;
  const critical = records.find((r) => (r.flags & 0x80) !== 0 && !KNOWN_TAGS.has(r.tag.toLowerCase()));
  if (critical !== undefined) {
    return { allowed: false, at, refusal: 'critical', summary: `CAA at ${at} sets the critical flag on the unknown tag "${critical.tag}", so no CA may issue for ${domain}` };
  }
  const wildcard = domain.startsWith('*.');
  const wild = records.filter((r) => r.tag.toLowerCase() === 'issuewild');
  const tag = wildcard && wild.length > 0 ? 'issuewild' : 'issue';
  const applicable = wildcard && wild.length > 0 ? wild : records.filter((r) => r.tag.toLowerCase() === 'issue');
  if (applicable.length === 0) return { allowed: true, at, by: undefined, caUnverified: false };

  const identities = new Set(requester.identities.map((id) => id.toLowerCase().replace(/\.$/, '')));
  const unverified = identities.size === 0;
  const ours = applicable.flatMap((record) => {
    const parsed = parseIssueValue(record.value);
    return parsed?.issuer !== undefined && (unverified || identities.has(parsed.issuer)) ? [{ record, parsed }] : [];
  });
  const text = (r: CaaRecord) => `${r.flags} ${tag} "${r.value}"`;
  const failures = ours.map(({ record, parsed }) => ({ record, parsed, failure: bindingFailure(parsed, requester.accountUrl) }));
  const allowedBy = failures.find((f) => f.failure === undefined);
  if (allowedBy !== undefined) return { allowed: true, at, by: text(allowedBy.record), caUnverified: unverified };

  const first = failures[0];
  if (first?.failure === 'account') {
    const pinned = [...new Set(ours.map(({ parsed }) => parsed.parameters.get('accounturi')).filter((u) => u !== undefined))];
    return { allowed: false, at, refusal: 'account', summary: `CAA at ${at} lets this CA issue for ${domain} only to accounturi=${pinned.join(', ')}, not to our account ${requester.accountUrl}` };
  }
  if (first?.failure === 'method') {
    return { allowed: false, at, refusal: 'method', summary: `CAA at ${at} lets this CA issue for ${domain} only by validationmethods=${first.parsed.parameters.get('validationmethods') ?? ''}, not ${CAA_METHOD}` };
  }
  const named = [...new Set(applicable.map((r) => parseIssueValue(r.value)?.issuer).filter((issuer) => issuer !== undefined))];
  const ca = unverified ? 'this CA' : `this CA (${[...identities].join(', ')})`;
  return {
    allowed: false,
    at,
    refusal: 'ca',
    summary: named.length === 0 ? `CAA at ${at} forbids every CA to issue for ${domain} (${applicable.map(text).join(', ')})` : `CAA at ${at} lets only ${named.join(', ')} issue for ${domain} (${tag}), not ${ca}`,
  };
}

/** Why a record naming our CA does not cover us: another account, or a method list without ours. */
function bindingFailure(value: IssueValue, accountUrl: string): 'account' | 'method' | undefined {
  const account = value.parameters.get('accounturi');
  if (account !== undefined && account !== accountUrl) return 'account';
  const methods = value.parameters.get('validationmethods');
  if (methods !== undefined && !methods.split(',').some((m) => m.trim().toLowerCase() === CAA_METHOD)) return 'method';
  return undefined;
}

/** Stands in for the CA's identity when its directory lists none: the user fills it in. */
export const CAA_IDENTITY_PLACEHOLDER = '<CA-CAA-DOMAIN>';

/** The records that pin issuance to this account over HTTP-01: one per identity of the CA. */
export function caaPinRecords(identities: readonly string[], accountUrl: string): string[] {
  const names = identities.length === 0 ? [CAA_IDENTITY_PLACEHOLDER] : identities;
  return names.map((identity) => `0 issue "${identity}; accounturi=${accountUrl}; validationmethods=${CAA_METHOD}"`);
}

/** account/caa.json: what `register` publishes (nothing secret), per CA directory URL. */
export interface CaaPinsDocument {
  readonly generatedAt: string;
  readonly cas: readonly CaaPin[];
}

export interface CaaPin {
  readonly directoryUrl: string;
  readonly accountUrl: string;
  /** The directory's meta.caaIdentities (empty: it lists none, and `records` hold a placeholder). */
  readonly caaIdentities: readonly string[];
  readonly records: readonly string[];
  /** Why a record needs editing before use; absent when it can be used as it is. */
  readonly note?: string | undefined;
}

/** `caaIdentities` undefined: this CA's directory was not read (no network to other CAs in `register`). */
export function caaPin(directoryUrl: string, accountUrl: string, caaIdentities: readonly string[] | undefined): CaaPin {
  const identities = caaIdentities ?? [];
  const note =
    caaIdentities === undefined
      ? `the CAA identity of ${directoryUrl} is not known here (its directory was not read by this run or the last that used it): run \`register\` with ACME_DIRECTORY=${directoryUrl}, or replace ${CAA_IDENTITY_PLACEHOLDER} with the issuer domain your CA documents (Let's Encrypt: letsencrypt.org)`
      : identities.length === 0
        ? `the directory at ${directoryUrl} lists no meta.caaIdentities: replace ${CAA_IDENTITY_PLACEHOLDER} with the issuer domain your CA documents for CAA (Let's Encrypt: letsencrypt.org)`
        : undefined;
  return { directoryUrl, accountUrl, caaIdentities: identities, records: caaPinRecords(identities, accountUrl), ...(note === undefined ? {} : { note }) };
}
