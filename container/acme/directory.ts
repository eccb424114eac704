import acme from 'acme-client';
import { ariCertId, authorityKeyIdentifier, parseCertificate, retryAfterMs, type RenewalWindow } from '../../lib/core/index.js';
import { caError } from './errors.js';

export interface DirectoryInfo {
  readonly url: string;
  /** RFC 9773 renewal information endpoint, when the CA offers ARI. */
  readonly renewalInfo: string | undefined;
  /** draft-ietf-acme-profiles: profile name -> description. */
  readonly profiles: Readonly<Record<string, string>>;
}

export interface RenewalInfo {
  readonly window: RenewalWindow;
  /** When to ask again (the response's Retry-After; 6 h when absent, as RFC 9773 suggests). */
  readonly checkAgainAt: Date;
  readonly explanationUrl: string | undefined;
}

const cache = new Map<string, Promise<DirectoryInfo>>();

/** Reads the directory once per run (through acme-client's HTTP client, so the same TLS trust applies). */
export function fetchDirectory(url: string): Promise<DirectoryInfo> {
  let pending = cache.get(url);
  if (pending === undefined) {
    pending = acme.axios
      .get<{ renewalInfo?: string; meta?: { profiles?: Record<string, string> } }>(url, { validateStatus: (s) => s === 200 })
      .then((response) => ({
        url,
        renewalInfo: typeof response.data.renewalInfo === 'string' ? response.data.renewalInfo : undefined,
        profiles: response.data.meta?.profiles ?? {},
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
  const response = await acme.axios
    .get<{ suggestedWindow?: { start?: string; end?: string }; explanationURL?: string }>(
      `${directory.renewalInfo.replace(/\/$/, '')}/${certId}`,
      { validateStatus: (s) => s === 200 },
    )
    .catch((error: unknown) => {
      throw caError('asking the CA for renewal information (ARI)', error);
    });
  const start = new Date(response.data.suggestedWindow?.start ?? '');
  const end = new Date(response.data.suggestedWindow?.end ?? '');
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) return undefined;
  const retryAfter = typeof response.headers['retry-after'] === 'string' ? retryAfterMs(response.headers['retry-after'], now) : undefined;
  const checkAgainAt = new Date(now.getTime() + (retryAfter !== undefined && retryAfter > 0 ? retryAfter : 6 * 3_600_000));
  return { window: { start, end }, checkAgainAt, explanationUrl: response.data.explanationURL };
}
