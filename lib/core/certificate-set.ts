import type { ConfigReader, Env } from './config-reader.js';
import { CA_LIST_SEPARATOR, KEY_TYPES, KNOWN_DIRECTORIES, PROFILE, REGION_LIST, parseCaList, type KeyType } from './rules.js';
import { normalizeDomains } from './domain.js';
import { ErrorCodes, IssuerError } from './errors.js';
import { parseExportKinds, type ExportKind } from './exports.js';
import { isValidCertName } from './layout.js';

/** One certificate the user wants, as declared in CERTIFICATES. */
export interface CertificateSpec {
  readonly name: string;
  /** Normalized; the first is the subject CN. */
  readonly domains: readonly string[];
  /** undefined: CERT_KEY_TYPE. */
  readonly keyType: KeyType | undefined;
  /** undefined: ACME_DIRECTORY. The first of directoryUrls. */
  readonly directoryUrl: string | undefined;
  /** `ca=a|b`: the CAs in the order they are tried (failover); undefined: ACME_DIRECTORY's. */
  readonly directoryUrls?: readonly string[] | undefined;
  /** ACME profile (draft-ietf-acme-profiles) where the CA offers them; undefined: ACME_PROFILE. */
  readonly profile: string | undefined;
  /** Secrets Manager / SSM copies of the PEM bundle; undefined: EXPORTS. */
  readonly exports?: readonly ExportKind[] | undefined;
  /** ACM regions this certificate is also imported into, besides AWS_REGION and ACM_EXTRA_REGIONS. */
  readonly acmRegions?: readonly string[] | undefined;
}

/**
 * Parses the declarative certificate set. Entries are separated by whitespace or newlines; each is
 * `name=domain1,domain2[;key=ec-p256][;ca=letsencrypt|zerossl|URL (in failover order)][;profile=NAME][;export=secrets,ssm|none][;regions=us-east-1,…]`, e.g.
 * `shop=shop.example.com,www.shop.example.com api=api.example.com;key=ec-p256`.
 * Every problem is reported at once, each naming the entry.
 */
export function parseCertificateSet(text: string | undefined, variable = 'CERTIFICATES'): CertificateSpec[] {
  const entries = (text ?? '').split(/\s+/).filter((entry) => entry !== '');
  const problems: string[] = [];
  const specs: CertificateSpec[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const [head, ...options] = entry.split(';');
    const eq = head!.indexOf('=');
    const name = eq === -1 ? head! : head!.slice(0, eq);
    const where = `${variable} entry "${name}"`;
    if (eq === -1 || eq === head!.length - 1) {
      problems.push(`${where} has no domains; expected name=domain1,domain2`);
      continue;
    }
    if (!isValidCertName(name)) {
      problems.push(`${where}: the name must be 1-64 lowercase letters, digits, ".", "_" or "-"`);
      continue;
    }
    if (seen.has(name)) problems.push(`${where} appears twice`);
    seen.add(name);
    let domains: string[] = [];
    try {
      domains = normalizeDomains(head!.slice(eq + 1).split(','));
    } catch (error) {
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    let keyType: KeyType | undefined;
    let directoryUrls: string[] | undefined;
    let profile: string | undefined;
    let exports: ExportKind[] | undefined;
    let acmRegions: string[] | undefined;
    for (const option of options) {
      const [key, value = ''] = [option.slice(0, option.indexOf('=')), option.slice(option.indexOf('=') + 1)];
      if (key === 'key' && (KEY_TYPES as readonly string[]).includes(value)) keyType = value as KeyType;
      else if (key === 'ca') {
        const parsed = parseCaList(value);
        if ('problem' in parsed) problems.push(`${where}: option "${option}" is not valid: ${parsed.problem}`);
        else directoryUrls = parsed.urls;
      } else if (key === 'profile' && PROFILE.test(value)) profile = value;
      else if (key === 'export' && Array.isArray(parseExportKinds(value))) exports = parseExportKinds(value) as ExportKind[];
      else if (key === 'regions' && REGION_LIST.test(value)) acmRegions = [...new Set(value.split(','))];
      else
        problems.push(
          `${where}: option "${option}" is not valid; expected key=rsa-2048|ec-p256, ca=${Object.keys(KNOWN_DIRECTORIES).join('|')}|https://… (several in failover order, separated by "${CA_LIST_SEPARATOR}"), profile=NAME, export=secrets,ssm|none, regions=us-east-1,…`,
        );
    }
    const directoryUrl = directoryUrls?.[0];
    specs.push({
      name,
      domains,
      keyType,
      directoryUrl,
      ...(directoryUrls === undefined ? {} : { directoryUrls }),
      profile,
      ...(exports === undefined ? {} : { exports }),
      ...(acmRegions === undefined ? {} : { acmRegions }),
    });
  }
  if (problems.length > 0) {
    throw new IssuerError(ErrorCodes.CONFIG_INVALID, `${variable} is not valid:\n  - ${problems.join('\n  - ')}`, {
      hint: `fix ${variable} in .env; the format is documented in .env.example and docs/configuration.md`,
    });
  }
  return specs;
}

/** A stable fingerprint of what a certificate must cover, so a changed name set is noticed. */
export function domainsKey(domains: readonly string[]): string {
  return [...domains].sort().join(',');
}

/** The declarative certificate set from `name` (CERTIFICATES, DEPLOY_CERTIFICATES), every bad entry reported. */
export function readCertificates(reader: ConfigReader, env: Env, name: string): CertificateSpec[] {
  try {
    return parseCertificateSet(env[name], name);
  } catch (error) {
    reader.report(error instanceof Error ? error.message : String(error));
    return [];
  }
}
