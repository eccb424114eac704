import type { IssuerConfig } from '../../lib/core/index.js';

/**
 * A certificate the store knows but a non-empty CERTIFICATES no longer names. It is still renewed
 * and monitored (ACM and every consumer still use it) until someone deletes it; without
 * CERTIFICATES the store itself is the set (certbot's `renew`), so nothing is undeclared.
 */
export function isUndeclared(config: Pick<IssuerConfig, 'certificates'>, name: string): boolean {
  return config.certificates.length > 0 && !config.certificates.some((spec) => spec.name === name);
}

/** The one wording, shared by `renew`, `list` and `show`. */
export function undeclaredWarning(name: string): string {
  return `${name} is not declared: \`delete ${name}\` to stop renewing it`;
}
