import { domainsKey, type CertificateSpec } from './certificate-set.js';
import { normalizeDomains } from './domain.js';
import { ErrorCodes, IssuerError } from './errors.js';
import { parseExportKinds, type ExportKind } from './exports.js';
import { assertCertName, layout } from './layout.js';
import { KEY_TYPES, PROFILE, REGION, parseCaList, type KeyType } from './rules.js';
import { declarationShape, declaredIndexShape, parseStored, corruptObject } from './stored-shapes.js';

/**
 * The declared set kept in the store: one object per certificate (declared/NAME.json), written by
 * `declare` (and, next, the API), with the fields a CERTIFICATES entry takes plus who declared
 * it and when. `renew` reads them through one summary (declared/_index.json), never one by one.
 */
export interface Declaration {
  readonly version: 1;
  readonly name: string;
  /** Normalized; the first is the subject CN. */
  readonly domains: readonly string[];
  /** Absent: CERT_KEY_TYPE, as in CERTIFICATES. */
  readonly keyType?: KeyType | undefined;
  /** Absent: ACME_DIRECTORY. The first of directoryUrls (kept for declarations written before lists). */
  readonly directoryUrl?: string | undefined;
  /** `ca=a|b`: the CAs in failover order, as in CERTIFICATES; absent in declarations written before CA lists (directoryUrl alone). */
  readonly directoryUrls?: readonly string[] | undefined;
  /** Absent: ACME_PROFILE. */
  readonly profile?: string | undefined;
  /** Absent: EXPORTS; [] is "none". */
  readonly exports?: readonly ExportKind[] | undefined;
  /** ACM regions besides AWS_REGION and ACM_EXTRA_REGIONS. */
  readonly acmRegions?: readonly string[] | undefined;
  /** The IAM principal that first declared it (kept when it is declared again): who may change it. */
  readonly owner: string;
  /** The IAM principal that wrote this version, and when. */
  readonly declaredBy: string;
  readonly declaredAt: string;
}

export interface DeclaredIndex {
  readonly version: 1;
  readonly entries: Readonly<Record<string, Declaration>>;
}

export const EMPTY_DECLARED_INDEX: DeclaredIndex = { version: 1, entries: {} };

export const DECLARED_INDEX_REBUILD_HINT = `${layout.declaredIndex} is derived from ${layout.declaredPrefix}*.json: the next \`renew\` or \`list\` rebuilds it (its current content stays in the bucket's version history)`;

export function parseDeclaredIndex(text: string): DeclaredIndex {
  return parseStored<DeclaredIndex>(layout.declaredIndex, text, declaredIndexShape, DECLARED_INDEX_REBUILD_HINT);
}

export function parseDeclaration(name: string, text: string): Declaration {
  const key = layout.declared(name);
  const declaration = parseStored<Declaration>(key, text, declarationShape);
  // A declaration copied under another name would declare the wrong certificate.
  if (declaration.name !== name) throw corruptObject(key, `field name: expected "${name}" (the object's own name), got "${declaration.name}"`);
  return declaration;
}

export function withDeclaration(index: DeclaredIndex, name: string, declaration: Declaration | undefined): DeclaredIndex {
  const entries = { ...index.entries };
  if (declaration === undefined) delete entries[name];
  else entries[name] = declaration;
  return { version: 1, entries };
}

/** What `declare` was given, as the command line has it (strings, unchecked). */
export interface DeclareInput {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType?: string | undefined;
  /** CAs by name (letsencrypt, …) or https:// directory URL, several in failover order separated by "|" (parseCaList, as CERTIFICATES' ca=). */
  readonly ca?: string | undefined;
  readonly profile?: string | undefined;
  /** `secrets,ssm` or `none`, as CERTIFICATES' export= takes. */
  readonly exports?: string | undefined;
  readonly regions?: readonly string[] | undefined;
}

/**
 * Checks a declaration by the rules a CERTIFICATES entry follows (lib/core/rules.ts), every
 * problem at once, each naming its option; returns the certificate fields of the declaration.
 */
export function declarationFields(input: DeclareInput): Pick<Declaration, 'name' | 'domains' | 'keyType' | 'directoryUrl' | 'directoryUrls' | 'profile' | 'exports' | 'acmRegions'> {
  const name = assertCertName(input.name);
  const problems: string[] = [];
  let domains: string[] = [];
  if (input.domains.length === 0) problems.push('--domain: at least one name is needed');
  else {
    try {
      domains = normalizeDomains(input.domains);
    } catch (error) {
      problems.push(`--domain: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const keyType = input.keyType;
  if (keyType !== undefined && !(KEY_TYPES as readonly string[]).includes(keyType)) problems.push(`--key-type "${keyType}": expected ${KEY_TYPES.join(' or ')}`);
  let directoryUrls: string[] | undefined;
  if (input.ca !== undefined) {
    const parsed = parseCaList(input.ca);
    if ('problem' in parsed) problems.push(`--ca "${input.ca}": ${parsed.problem}`);
    else directoryUrls = parsed.urls;
  }
  if (input.profile !== undefined && !PROFILE.test(input.profile)) problems.push(`--profile "${input.profile}": expected 1-64 letters, digits, ".", "_" or "-"`);
  let exports: ExportKind[] | undefined;
  if (input.exports !== undefined) {
    const parsed = parseExportKinds(input.exports);
    if (Array.isArray(parsed)) exports = parsed;
    else problems.push(`--export "${input.exports}": ${parsed.problem}`);
  }
  const badRegions = (input.regions ?? []).filter((region) => !REGION.test(region));
  if (badRegions.length > 0) problems.push(`--region ${badRegions.map((r) => `"${r}"`).join(', ')}: expected a region such as us-east-1`);
  if (problems.length > 0) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, `declaration of "${name}" is not valid:\n  - ${problems.join('\n  - ')}`, {
      hint: 'the options take what a CERTIFICATES entry takes (docs/configuration.md); nothing was written',
    });
  }
  const regions = input.regions === undefined || input.regions.length === 0 ? undefined : [...new Set(input.regions)];
  return { name, domains, keyType: keyType as KeyType | undefined, directoryUrl: directoryUrls?.[0], ...(directoryUrls === undefined ? {} : { directoryUrls }), profile: input.profile, exports, acmRegions: regions };
}

/** The declaration as the rest of the issuer sees a CERTIFICATES entry. */
export function specOf(declaration: Declaration): CertificateSpec {
  return {
    name: declaration.name,
    domains: declaration.domains,
    keyType: declaration.keyType,
    directoryUrl: declaration.directoryUrl,
    // A declaration written before CA lists has directoryUrl alone: that one CA, not ACME_DIRECTORY's list.
    ...(declaration.directoryUrl === undefined ? {} : { directoryUrls: declaration.directoryUrls ?? [declaration.directoryUrl] }),
    profile: declaration.profile,
    ...(declaration.exports === undefined ? {} : { exports: declaration.exports }),
    ...(declaration.acmRegions === undefined ? {} : { acmRegions: declaration.acmRegions }),
  };
}

/** Where a certificate is declared: CERTIFICATES (env), the store, or both. */
export type DeclaredIn = 'env' | 'store' | 'both';

export interface DeclaredSet {
  /** CERTIFICATES' entries, then the store's declarations CERTIFICATES does not name. */
  readonly specs: readonly CertificateSpec[];
  readonly declaredIn: Readonly<Record<string, DeclaredIn>>;
  /** Names in both whose fields differ, and which fields. */
  readonly conflicts: readonly { readonly name: string; readonly fields: readonly string[] }[];
}

/**
 * CERTIFICATES and the store's declarations as one set. On the same name CERTIFICATES wins: it
 * is what the operator deployed (reviewed with the stack, DEPLOY_CERTIFICATES), while a
 * declaration can be written by anyone allowed to declare, and must not change a deployed
 * certificate behind the deployment's back. A conflict is reported by name and fields.
 */
export function reconcileDeclared(env: readonly CertificateSpec[], stored: Readonly<Record<string, Declaration>>): DeclaredSet {
  const declaredIn: Record<string, DeclaredIn> = {};
  const conflicts: { name: string; fields: string[] }[] = [];
  const specs: CertificateSpec[] = [...env];
  for (const spec of env) declaredIn[spec.name] = 'env';
  for (const name of Object.keys(stored).sort()) {
    const spec = specOf(stored[name]!);
    const deployed = env.find((s) => s.name === name);
    if (deployed === undefined) {
      specs.push(spec);
      declaredIn[name] = 'store';
      continue;
    }
    declaredIn[name] = 'both';
    const fields = differingFields(deployed, spec);
    if (fields.length > 0) conflicts.push({ name, fields });
  }
  return { specs, declaredIn, conflicts };
}

function differingFields(a: CertificateSpec, b: CertificateSpec): string[] {
  const list = (values: readonly string[] | undefined) => (values === undefined ? '' : [...values].sort().join(','));
  const checks: [string, unknown, unknown][] = [
    ['domains', domainsKey(a.domains), domainsKey(b.domains)],
    ['keyType', a.keyType, b.keyType],
    ['directoryUrl', (a.directoryUrls ?? [a.directoryUrl]).join('|'), (b.directoryUrls ?? [b.directoryUrl]).join('|')],
    ['profile', a.profile, b.profile],
    ['exports', a.exports === undefined ? undefined : list(a.exports), b.exports === undefined ? undefined : list(b.exports)],
    ['acmRegions', list(a.acmRegions), list(b.acmRegions)],
  ];
  return checks.filter(([, x, y]) => x !== y).map(([field]) => field);
}

/** The one wording of a conflict, shared by every command that reads the set. */
export function conflictWarning(conflict: { name: string; fields: readonly string[] }): string {
  return `"${conflict.name}" is declared in CERTIFICATES and in ${layout.declared(conflict.name)} with a different ${conflict.fields.join(', ')}: CERTIFICATES wins (it is what was deployed); \`undeclare ${conflict.name}\` or make the two agree`;
}
