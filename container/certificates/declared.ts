import { conflictWarning, isValidCertName, layout, reconcileDeclared, type DeclaredIn, type IssuerConfig, type ObjectStore } from '../../lib/core/index.js';
import type { Progress } from '../progress.js';
import { loadDeclaration, loadDeclaredIndex, syncDeclaredEntry } from '../../lib/store/declarations.js';

/**
 * A certificate the store knows but the declared set (CERTIFICATES and declared/*.json) no
 * longer names. It is still renewed and monitored (ACM and every consumer still use it) until
 * someone deletes it; with nothing declared the store itself is the set (certbot's `renew`), so
 * nothing is undeclared.
 */
export function isUndeclared(config: Pick<IssuerConfig, 'certificates'>, name: string): boolean {
  return config.certificates.length > 0 && !config.certificates.some((spec) => spec.name === name);
}

/** The one wording, shared by `renew`, `list` and `show`. */
export function undeclaredWarning(name: string): string {
  return `${name} is not declared: \`delete ${name}\` to stop renewing it`;
}

export interface DeclaredConfig {
  /** The configuration with `certificates` the whole declared set (CERTIFICATES first; it wins a conflict). */
  readonly config: IssuerConfig;
  readonly declaredIn: Readonly<Record<string, DeclaredIn>>;
}

/**
 * CERTIFICATES together with the store's declarations, from one read of declared/_index.json
 * (lib/core/declarations.ts says why CERTIFICATES wins a conflict); each conflict is warned
 * about by name. Everything downstream (exports, ACM regions, undeclared) reads config.certificates.
 */
export async function withDeclaredSet(config: IssuerConfig, store: ObjectStore, progress: Progress, names: readonly string[] = []): Promise<DeclaredConfig> {
  const notice = (message: string, fields: Record<string, unknown>) => progress.info(message, fields);
  const { index } = await loadDeclaredIndex(store, notice);
  const entries = { ...index.entries };
  // A certificate named on the command line is looked for in declared/ too (a GET each): a run
  // that died between writing its declaration and the summary is finished here.
  for (const name of names.filter((n) => isValidCertName(n) && entries[n] === undefined && !config.certificates.some((spec) => spec.name === n))) {
    const found = await loadDeclaration(store, name);
    if (found === undefined) continue;
    await syncDeclaredEntry(store, name, notice);
    entries[name] = found.declaration;
    progress.info(`${layout.declared(name)} was not in ${layout.declaredIndex}; added it`, { object: layout.declaredIndex, name, healed: true });
  }
  const set = reconcileDeclared(config.certificates, entries);
  for (const conflict of set.conflicts) progress.warn(conflictWarning(conflict), { name: conflict.name, fields: conflict.fields });
  return { config: { ...config, certificates: set.specs }, declaredIn: set.declaredIn };
}
