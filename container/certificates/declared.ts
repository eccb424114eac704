import { conflictWarning, reconcileDeclared, type DeclaredIn, type IssuerConfig, type ObjectStore } from '../../lib/core/index.js';
import type { Progress } from '../progress.js';
import { loadDeclaredIndex } from './declarations.js';

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
export async function withDeclaredSet(config: IssuerConfig, store: ObjectStore, progress: Progress): Promise<DeclaredConfig> {
  const { index } = await loadDeclaredIndex(store, (message, fields) => progress.info(message, fields));
  const set = reconcileDeclared(config.certificates, index.entries);
  for (const conflict of set.conflicts) progress.warn(conflictWarning(conflict), { name: conflict.name, fields: conflict.fields });
  return { config: { ...config, certificates: set.specs }, declaredIn: set.declaredIn };
}
