import { calculateJwkThumbprint, type JWK } from 'jose';
import { ErrorCodes, IssuerError } from './errors.js';
import { accountJwkRolloverShape, shapeProblem } from './stored-shapes.js';
import { assertValidToken } from './token.js';

/** Members that would make a JWK private; jwk.json must never hold them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function corruptJwk(why: string, cause?: unknown): IssuerError {
  return new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object account/jwk.json is corrupt: ${why}`, {
    hint: 'it is derived from account/key.pem (and account/next-key.pem during a rollover): `register` or `rollover` writes it again',
    cause,
  });
}

/** Why a parsed value is not a public EC or RSA JWK (`at` prefixes the field names), or undefined when it is one. */
function publicJwkProblem(value: unknown, at = ''): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return at === '' ? 'it is not a JSON object' : `field ${at.slice(0, -1)}: expected a JSON object`;
  const jwk = value as JWK;
  const privateMember = PRIVATE_MEMBERS.find((member) => member in jwk);
  if (privateMember !== undefined) return `field ${at}${privateMember}: it holds private key members; it must be public only`;
  const members = jwk.kty === 'EC' ? (['crv', 'x', 'y'] as const) : jwk.kty === 'RSA' ? (['n', 'e'] as const) : undefined;
  if (members === undefined) return `field ${at}kty: expected EC or RSA, got ${JSON.stringify(jwk.kty) ?? 'nothing'}`;
  const missing = members.find((member) => typeof jwk[member] !== 'string' || jwk[member] === '');
  if (missing !== undefined) return `field ${at}${missing}: expected a non-empty string in a public ${jwk.kty} key`;
  return undefined;
}

function parseJwkText(text: string): JWK {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw corruptJwk('it is not valid JSON', cause);
  }
  const why = publicJwkProblem(value);
  if (why !== undefined) throw corruptJwk(why);
  return value as JWK;
}

/** Parses account/jwk.json, refusing anything that is not a public EC or RSA key (the issuer's and the responder's read). */
export function parsePublicJwk(text: string): JWK {
  return parseJwkText(text);
}

/**
 * account/jwk.json as published (stored-shapes.ts, accountJwkShape): the current public JWK, and
 * during a rollover the next key's and the moment from which every responder answers with it.
 */
export interface PublishedAccountJwk {
  readonly current: JWK;
  readonly next?: { readonly jwk: JWK; readonly from: Date } | undefined;
}

/**
 * Reads both forms of account/jwk.json: the plain public JWK (what every version wrote before
 * rollover existed, and what a finished rollover leaves) and the same object carrying `next` and
 * `nextFrom`. The current key stays the object's own members, so a reader that knows nothing of
 * rollover still computes the current thumbprint from it.
 */
export function parsePublishedJwk(text: string): PublishedAccountJwk {
  const value = parseJwkText(text) as JWK & { next?: unknown; nextFrom?: unknown };
  const { next, nextFrom, ...current } = value;
  if (next === undefined && nextFrom === undefined) return { current: value };
  const why = shapeProblem(value, accountJwkRolloverShape) ?? publicJwkProblem(next, 'next.') ?? (typeof nextFrom === 'string' ? undefined : 'field nextFrom: expected an ISO 8601 date beside next');
  if (why !== undefined) throw corruptJwk(why);
  return { current, next: { jwk: next as JWK, from: new Date(nextFrom as string) } };
}

/** RFC 7638 SHA-256 thumbprint, base64url. */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/** RFC 8555 §8.1 key authorization: token || '.' || base64url(thumbprint). */
export function keyAuthorization(token: string, thumbprint: string): string {
  return `${assertValidToken(token)}.${thumbprint}`;
}
