import { retryAfterMs } from '../../lib/core/index.js';
import type { CaResponse } from './transport.js';

const PREFIX = 'urn:ietf:params:acme:error:';

/** A problem document the CA answered with (RFC 8555 §6.7, RFC 7807), with what came beside it. */
export class AcmeProblem extends Error {
  override readonly name = 'AcmeProblem';

  constructor(
    /** The full type URN ("urn:ietf:params:acme:error:rateLimited"), or "about:blank" when none came. */
    readonly type: string,
    readonly detail: string,
    readonly status: number,
    readonly url: string,
    /** When the CA asked to be asked again (Retry-After), e.g. the end of a rate limit. */
    readonly retryAfter: Date | undefined,
    readonly subproblems: readonly { type?: string; detail?: string; identifier?: { value?: string } }[] = [],
  ) {
    super(describe(type, detail, status, retryAfter, subproblems));
  }

  /** The ACME error type without its URN prefix ("rateLimited"), or the whole type when it is not an ACME one. */
  get kind(): string {
    return this.type.startsWith(PREFIX) ? this.type.slice(PREFIX.length) : this.type;
  }
}

/** The problem in a CA's error answer; a non-problem body still becomes one that says what came. */
export function problemOf(response: CaResponse, url: string, now: Date): AcmeProblem {
  const body = typeof response.data === 'object' && response.data !== null ? (response.data as Record<string, unknown>) : {};
  const header = response.headers['retry-after'];
  const wait = typeof header === 'string' ? retryAfterMs(header, now) : undefined;
  const detail = typeof body.detail === 'string' ? body.detail : typeof response.data === 'string' && response.data !== '' ? response.data.slice(0, 200) : `HTTP ${response.status} from ${url}`;
  const subproblems = Array.isArray(body.subproblems) ? (body.subproblems as AcmeProblem['subproblems']) : [];
  return new AcmeProblem(typeof body.type === 'string' ? body.type : 'about:blank', detail, response.status, url, wait === undefined ? undefined : new Date(now.getTime() + wait), subproblems);
}

/**
 * The message keeps the CA's detail first (as acme-client's did, so every hint matched on it still
 * matches), then the type, then the Retry-After as "retry after <ISO time>": the form
 * rateLimitRetryAfter (lib/core/renewal-policy.ts) reads to hold a renewal until then.
 */
function describe(type: string, detail: string, status: number, retryAfter: Date | undefined, subproblems: AcmeProblem['subproblems']): string {
  const kind = type.startsWith(PREFIX) ? type.slice(PREFIX.length) : type;
  const parts = [`${detail} (${kind}, HTTP ${status}`];
  if (retryAfter !== undefined) parts.push(`; retry after ${retryAfter.toISOString()}`);
  parts.push(')');
  const sub = subproblems.map((p) => `${p.identifier?.value ?? '?'}: ${p.detail ?? p.type ?? ''}`).join('; ');
  return `${parts.join('')}${sub === '' ? '' : ` [${sub}]`}`;
}
