import { fallbackRule, renewalTime, type CertificateInfo, type RenewalRecord } from '../../lib/core/index.js';
import { certIdOf, fetchDirectory, fetchRenewalInfo } from '../acme/directory.js';

export type RenewalPlan = Pick<RenewalRecord, 'renewAt' | 'renewalRule' | 'ariWindow' | 'ariPick' | 'ariCheckAt'>;

/**
 * When a certificate should be renewed: the CA's ARI window where it offers one (a random instant
 * inside it, picked once and kept while the window stays the same), else the fallback rule. ARI
 * being unreachable is not an error: the fallback applies and ARI is asked again in an hour.
 */
export async function planRenewal(
  certPem: string,
  info: Pick<CertificateInfo, 'notBefore' | 'notAfter'>,
  directoryUrl: string,
  renewBeforeDays: number | undefined,
  previous: RenewalPlan | undefined,
  now: Date,
): Promise<RenewalPlan> {
  const fallback = (ariCheckAt: string | undefined): RenewalPlan => {
    const rule = fallbackRule(info.notBefore, info.notAfter, renewBeforeDays);
    return {
      renewAt: renewalTime(info.notBefore, info.notAfter, rule).toISOString(),
      renewalRule: rule.kind === 'fixed-days' ? `${rule.days} days before expiry` : `${rule.fraction === 0.5 ? '1/2' : '1/3'} of lifetime left`,
      ariWindow: undefined,
      ariPick: undefined,
      ariCheckAt,
    };
  };
  if (renewBeforeDays !== undefined) return fallback(undefined);
  const certId = certIdOf(certPem);
  if (certId === undefined) return fallback(undefined);
  try {
    const directory = await fetchDirectory(directoryUrl);
    const ari = await fetchRenewalInfo(directory, certId, now);
    if (ari === undefined) return fallback(undefined);
    const window = { start: ari.window.start.toISOString(), end: ari.window.end.toISOString() };
    const sameWindow = previous?.ariWindow?.start === window.start && previous.ariWindow.end === window.end;
    const pick = sameWindow && previous?.ariPick !== undefined ? previous.ariPick : Math.random();
    return {
      renewAt: renewalTime(info.notBefore, info.notAfter, { kind: 'ari', window: ari.window }, pick).toISOString(),
      renewalRule: 'ari',
      ariWindow: window,
      ariPick: pick,
      ariCheckAt: ari.checkAgainAt.toISOString(),
    };
  } catch {
    return fallback(new Date(now.getTime() + 3_600_000).toISOString());
  }
}
