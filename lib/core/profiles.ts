import { ErrorCodes, IssuerError } from './errors.js';

/**
 * ACME profiles (draft-ietf-acme-profiles): what a certificate's profile must satisfy before
 * anything is ordered. The CA lists its profiles in the directory's `meta.profiles`; an order for
 * one it does not list fails at the CA (invalidProfile) after the run has spent requests, and a
 * CA that is given no profile picks one itself (pebble at random), so both are checked here.
 */

/**
 * Names per order by profile, where a CA's profile allows fewer than MAX_NAMES_PER_CERTIFICATE:
 * Let's Encrypt's `tlsserver` (since 2026-05-13) and `shortlived` take at most 25 identifiers.
 * Keyed by profile name, whatever the CA: a CA using these names means Let's Encrypt's profiles.
 */
export const PROFILE_NAME_LIMITS: Readonly<Record<string, number>> = { tlsserver: 25, shortlived: 25 };

/** ERR_CONFIG_INVALID when the CA's directory does not list the profile; the message names the choices. */
export function assertProfileOffered(profile: string | undefined, offered: Readonly<Record<string, string>>, directoryUrl: string, where = 'the profile'): void {
  const problem = profileOfferProblem(profile, offered, directoryUrl, where);
  if (problem !== undefined) throw new IssuerError(ErrorCodes.CONFIG_INVALID, problem.message, { hint: problem.hint });
}

/** The problem with a profile at a CA as text (health reports it without throwing), or undefined when it is fine. */
export function profileOfferProblem(profile: string | undefined, offered: Readonly<Record<string, string>>, directoryUrl: string, where = 'the profile'): { message: string; hint: string } | undefined {
  if (profile === undefined || Object.hasOwn(offered, profile)) return undefined;
  const names = Object.keys(offered);
  if (names.length === 0) {
    return {
      message: `${where} "${profile}" is not offered by ${directoryUrl}: its directory lists no profiles`,
      hint: 'remove profile= (and ACME_PROFILE) for this CA: it issues one kind of certificate',
    };
  }
  return {
    message: `${where} "${profile}" is not offered by ${directoryUrl}; it offers ${names.map((name) => `"${name}" (${offered[name]})`).join(', ')}`,
    hint: `set profile= in CERTIFICATES (or ACME_PROFILE) to one of: ${names.join(', ')}`,
  };
}

/** ERR_BAD_INPUT when the profile takes fewer names than the certificate has. */
export function assertProfileNameLimit(profile: string | undefined, domains: readonly string[], where = 'the certificate'): void {
  const problem = profileNameLimitProblem(profile, domains, where);
  if (problem !== undefined) throw new IssuerError(ErrorCodes.BAD_INPUT, problem.message, { hint: problem.hint });
}

export function profileNameLimitProblem(profile: string | undefined, domains: readonly string[], where = 'the certificate'): { message: string; hint: string } | undefined {
  const limit = profile === undefined ? undefined : PROFILE_NAME_LIMITS[profile];
  if (limit === undefined || domains.length <= limit) return undefined;
  return {
    message: `${where} has ${domains.length} names, but the "${profile}" profile takes at most ${limit}`,
    hint: `split it into certificates of at most ${limit} names each, or use a profile without this limit (e.g. classic)`,
  };
}
