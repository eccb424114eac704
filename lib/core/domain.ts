import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { ErrorCodes, IssuerError } from './errors.js';

/** Let's Encrypt's limit, and what we promise to handle. */
export const MAX_NAMES_PER_CERTIFICATE = 100;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalizes one name for an HTTP-01 order: lowercase, IDN to punycode (A-label), no trailing dot.
 * Wildcards and IP addresses cannot be validated over HTTP-01 and are refused with the reason.
 */
export function normalizeDomain(input: string): string {
  const raw = input.trim();
  if (raw.length === 0) throw bad(input, 'it is empty');
  if (raw.startsWith('*.')) {
    throw bad(input, 'wildcard names need DNS-01; HTTP-01 (the only challenge this issuer answers) cannot validate them', 'list each name explicitly (www.example.com, api.example.com)');
  }
  const bare = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (isIP(bare) !== 0 || isIP(bare.replace(/^\[|\]$/g, '')) !== 0) {
    throw bad(input, 'IP addresses are not supported; order a DNS name that points at the ALB');
  }
  // Checked before IDN conversion, which rejects such names without saying why.
  if (/(^|\.)[0-9]+$/.test(bare)) throw bad(input, 'the top-level label cannot be numeric');
  const ascii = domainToASCII(bare.toLowerCase());
  if (ascii === '') throw bad(input, 'it is not a valid (internationalized) domain name');
  if (ascii.length > 253) throw bad(input, `it is ${ascii.length} characters long; the limit is 253`);
  const labels = ascii.split('.');
  if (labels.length < 2) throw bad(input, 'it needs at least two labels (e.g. example.com)');
  for (const label of labels) {
    if (label.length > 63) throw bad(input, `the label "${label}" is ${label.length} characters; the limit is 63`);
    if (!LABEL.test(label)) throw bad(input, `the label "${label}" may hold only a-z, 0-9 and inner hyphens`);
  }
  return ascii;
}

/** Normalizes, de-duplicates (keeping the first name first: it becomes the CN) and bounds the list. */
export function normalizeDomains(inputs: readonly string[]): string[] {
  if (inputs.length === 0) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, 'no domain names given', { hint: 'pass at least one --domain NAME' });
  }
  const names = [...new Set(inputs.map(normalizeDomain))];
  if (names.length > MAX_NAMES_PER_CERTIFICATE) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, `${names.length} names given; a certificate holds at most ${MAX_NAMES_PER_CERTIFICATE}`, {
      hint: 'split the names over several certificates',
    });
  }
  return names;
}

function bad(input: string, why: string, hint?: string): IssuerError {
  return new IssuerError(ErrorCodes.BAD_INPUT, `domain "${input}" is not valid: ${why}`, hint === undefined ? {} : { hint });
}
