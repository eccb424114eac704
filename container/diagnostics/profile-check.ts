// The `health` side of profiles: every profile the configuration asks for (ACME_PROFILE, each
// CERTIFICATES entry's profile=) checked against its CA's directory, so a profile the CA does not
// offer shows before the scheduled run that would order with it.
import { profileOfferProblem, type IssuerConfig } from '../../lib/core/index.js';
import { fetchDirectory } from '../acme/directory.js';

export interface ProfileProblem {
  readonly message: string;
  readonly hint: string;
}

/** What is asked of which CA, in the configuration's order; `offered` answers each CA once (the directory's meta.profiles). */
export async function declaredProfileProblems(
  config: Pick<IssuerConfig, 'directoryUrl' | 'profile' | 'certificates'>,
  offered: (directoryUrl: string) => Promise<Readonly<Record<string, string>>> = defaultOffered,
): Promise<ProfileProblem[]> {
  const asked: { where: string; profile: string; directoryUrl: string }[] = [];
  if (config.profile !== undefined) asked.push({ where: 'ACME_PROFILE', profile: config.profile, directoryUrl: config.directoryUrl });
  for (const spec of config.certificates) {
    if (spec.profile !== undefined) asked.push({ where: `CERTIFICATES entry "${spec.name}": profile`, profile: spec.profile, directoryUrl: spec.directoryUrl ?? config.directoryUrl });
    else if (spec.directoryUrl !== undefined && spec.directoryUrl !== config.directoryUrl && config.profile !== undefined) {
      asked.push({ where: `CERTIFICATES entry "${spec.name}": ACME_PROFILE`, profile: config.profile, directoryUrl: spec.directoryUrl });
    }
  }
  const problems: ProfileProblem[] = [];
  for (const { where, profile, directoryUrl } of asked) {
    const problem = profileOfferProblem(profile, await offered(directoryUrl), directoryUrl, where);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

async function defaultOffered(directoryUrl: string): Promise<Readonly<Record<string, string>>> {
  return (await fetchDirectory(directoryUrl)).profiles;
}
