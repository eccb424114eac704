import { calculateJwkThumbprint, type JWK } from 'jose';
import { ErrorCodes, IssuerError } from './errors.js';
import { assertValidToken } from './token.js';

/** Members that would make a JWK private; jwk.json must never hold them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Parses account/jwk.json, refusing anything that is not a public EC or RSA key (the issuer's and the responder's read). */
export function parsePublicJwk(text: string): JWK {
  const corrupt = (why: string, cause?: unknown) =>
    new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object account/jwk.json is corrupt: ${why}`, {
      hint: 'it is derived from account/key.pem: `register` writes it again',
      cause,
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw corrupt('it is not valid JSON', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt('it is not a JSON object');
  const jwk = value as JWK;
  const privateMember = PRIVATE_MEMBERS.find((member) => member in jwk);
  if (privateMember !== undefined) throw corrupt(`field ${privateMember}: it holds private key members; it must be public only`);
  const members = jwk.kty === 'EC' ? (['crv', 'x', 'y'] as const) : jwk.kty === 'RSA' ? (['n', 'e'] as const) : undefined;
  if (members === undefined) throw corrupt(`field kty: expected EC or RSA, got ${JSON.stringify(jwk.kty) ?? 'nothing'}`);
  const missing = members.find((member) => typeof jwk[member] !== 'string' || jwk[member] === '');
  if (missing !== undefined) throw corrupt(`field ${missing}: expected a non-empty string in a public ${jwk.kty} key`);
  return jwk;
}

/** RFC 7638 SHA-256 thumbprint, base64url. */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/** RFC 8555 §8.1 key authorization: token || '.' || base64url(thumbprint). */
export function keyAuthorization(token: string, thumbprint: string): string {
  return `${assertValidToken(token)}.${thumbprint}`;
}
