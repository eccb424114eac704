import { ariCertId, authorityKeyIdentifier, parseCertificate, retryAfterMs, type RenewalWindow } from '../../lib/core/index.js';
import { caError } from './errors.js';
import { caAgent } from './tls.js';
import { caGet, type CaResponse } from './transport.js';

export interface DirectoryInfo {
  readonly url: string;
  /** The directory object as the CA sent it: the ACME client (client.ts) is given it instead of reading it again. */
  readonly resource: Readonly<Record<string, unknown>>;
  /** RFC 9773 renewal information endpoint, when the CA offers ARI. */
  readonly renewalInfo: string | undefined;
  /** draft-ietf-acme-profiles: profile name -> description. */
  readonly profiles: Readonly<Record<string, string>>;
  /** RFC 8555 §7.1.1 meta.caaIdentities: the issuer domain names CAA records name this CA by (empty: none listed). */
  readonly caaIdentities: readonly string[];
}

export interface RenewalInfo {
  readonly window: RenewalWindow;
  /** When to ask again (the response's Retry-After, kept within 1 minute .. 1 day; 6 h when absent, as RFC 9773 suggests). */
  readonly checkAgainAt: Date;
  readonly explanationUrl: string | undefined;
}

const cache = new Map<string, Promise<DirectoryInfo>>();

/** Reads the directory once per run, on the CA's transport (transport.ts: its TLS trust, timeout and retries). */
export function fetchDirectory(url: string): Promise<DirectoryInfo> {
  let pending = cache.get(url);
  if (pending === undefined) {
    pending = getJson<{ renewalInfo?: unknown; meta?: { profiles?: Record<string, string>; caaIdentities?: unknown } }>(url)
      .then(({ data }) => ({
        url,
        resource: data,
        renewalInfo: typeof data.renewalInfo === 'string' ? data.renewalInfo : undefined,
        profiles: data.meta?.profiles ?? {},
        caaIdentities: Array.isArray(data.meta?.caaIdentities) ? data.meta.caaIdentities.filter((id): id is string => typeof id === 'string') : [],
      }))
      .catch((error: unknown) => {
        cache.delete(url);
        throw caError('reading the CA directory', error);
      });
    cache.set(url, pending);
  }
  return pending;
}

/** The ARI CertID of a certificate, or undefined when it has no Authority Key Identifier. */
export function certIdOf(certPem: string): string | undefined {
  const aki = authorityKeyIdentifier(certPem);
  return aki === undefined ? undefined : ariCertId(aki, parseCertificate(certPem).serial);
}

/** GET {renewalInfo}/{certID} (unauthenticated, RFC 9773 §4.2). */
export async function fetchRenewalInfo(directory: DirectoryInfo, certId: string, now: Date): Promise<RenewalInfo | undefined> {
  if (directory.renewalInfo === undefined) return undefined;
  const response = await getJson<{ suggestedWindow?: { start?: string; end?: string }; explanationURL?: string }>(`${directory.renewalInfo.replace(/\/$/, '')}/${certId}`).catch((error: unknown) => {
    throw caError('asking the CA for renewal information (ARI)', error);
  });
  const start = new Date(response.data.suggestedWindow?.start ?? '');
  const end = new Date(response.data.suggestedWindow?.end ?? '');
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) return undefined;
  const retryAfter = typeof response.headers['retry-after'] === 'string' ? retryAfterMs(response.headers['retry-after'], now) : undefined;
  // RFC 9773 §4.3.3 suggests treating values under a minute as a minute and over a day as a day.
  const interval = retryAfter !== undefined && retryAfter > 0 ? Math.min(Math.max(retryAfter, 60_000), 86_400_000) : 6 * 3_600_000;
  const checkAgainAt = new Date(now.getTime() + interval);
  return { window: { start, end }, checkAgainAt, explanationUrl: explanationUrlOf(response.data.explanationURL) };
}

/** Shown to people and put in events: only an http(s) URL of sane length is kept. */
function explanationUrlOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048 || !/^https?:\/\/[^\s]+$/.test(value)) return undefined;
  return URL.canParse(value) ? value : undefined;
}

/** GET a JSON object from the CA; anything but 200 with a JSON object is an error that says what came. */
async function getJson<T extends object>(url: string): Promise<{ data: Partial<T>; headers: CaResponse['headers'] }> {
  const response = await caGet(url, caAgent());
  if (response.status !== 200) {
    const problem = response.data as { detail?: unknown } | string;
    const detail = typeof problem === 'object' && problem !== null && typeof problem.detail === 'string' ? `: ${problem.detail}` : '';
    throw new Error(`HTTP ${response.status} from ${url}${detail}`);
  }
  if (typeof response.data !== 'object' || response.data === null) throw new Error(`${url} did not answer with a JSON object`);
  return { data: response.data, headers: response.headers };
}
