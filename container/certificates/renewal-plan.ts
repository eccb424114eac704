import { fallbackRule, renewalTime, type CertificateInfo, type RenewalRecord } from '../../lib/core/index.js';
import { certIdOf, fetchDirectory, fetchRenewalInfo, type RenewalInfo } from '../acme/directory.js';

export type RenewalPlan = Pick<RenewalRecord, 'renewAt' | 'renewalRule' | 'ariWindow' | 'ariPick' | 'ariCheckAt' | 'ariExplanationUrl' | 'ariCertId'>;

type Lifetime = Pick<CertificateInfo, 'notBefore' | 'notAfter'>;

/**
 * When a certificate should be renewed: the CA's ARI window where it offers one (a random instant
 * inside it, picked once and kept while the window stays the same), else the fallback rule. ARI
 * being unreachable is not an error: the fallback applies and ARI is asked again in an hour.
 */
export async function planRenewal(certPem: string, info: Lifetime, directoryUrl: string, renewBeforeDays: number | undefined, previous: RenewalPlan | undefined, now: Date): Promise<RenewalPlan> {
  if (renewBeforeDays !== undefined) return fallbackPlan(info, renewBeforeDays, undefined);
  const certId = certIdOf(certPem);
  if (certId === undefined) return fallbackPlan(info, undefined, undefined);
  try {
    const directory = await fetchDirectory(directoryUrl);
    const ari = await fetchRenewalInfo(directory, certId, now);
    return ari === undefined ? fallbackPlan(info, undefined, undefined) : planFromRenewalInfo(info, certId, ari, previous);
  } catch {
    return { ...fallbackPlan(info, undefined, new Date(now.getTime() + 3_600_000).toISOString()), ariCertId: certId };
  }
}

/** The plan for a window the CA gave: the pick is kept while the window is the same one. */
export function planFromRenewalInfo(info: Lifetime, certId: string, ari: RenewalInfo, previous: RenewalPlan | undefined): RenewalPlan {
  const window = { start: ari.window.start.toISOString(), end: ari.window.end.toISOString() };
  const pick = sameWindow(previous?.ariWindow, window) && previous?.ariPick !== undefined ? previous.ariPick : Math.random();
  return {
    renewAt: renewalTime(info.notBefore, info.notAfter, { kind: 'ari', window: ari.window }, pick).toISOString(),
    renewalRule: 'ari',
    ariWindow: window,
    ariPick: pick,
    ariCheckAt: ari.checkAgainAt.toISOString(),
    ariExplanationUrl: ari.explanationUrl,
    ariCertId: certId,
  };
}

export function sameWindow(a: { readonly start: string; readonly end: string } | undefined, b: { readonly start: string; readonly end: string } | undefined): boolean {
  return a !== undefined && b !== undefined && a.start === b.start && a.end === b.end;
}

function fallbackPlan(info: Lifetime, renewBeforeDays: number | undefined, ariCheckAt: string | undefined): RenewalPlan {
  const rule = fallbackRule(info.notBefore, info.notAfter, renewBeforeDays);
  return {
    renewAt: renewalTime(info.notBefore, info.notAfter, rule).toISOString(),
    renewalRule: rule.kind === 'fixed-days' ? `${rule.days} days before expiry` : `${rule.fraction === 0.5 ? '1/2' : '1/3'} of lifetime left`,
    ariWindow: undefined,
    ariPick: undefined,
    ariCheckAt,
    ariExplanationUrl: undefined,
    ariCertId: undefined,
  };
}
