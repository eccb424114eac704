import { calculateJwkThumbprint, type JWK } from 'jose';
import { ErrorCodes, IssuerError } from './errors.js';
import { assertValidToken } from './token.js';

/** Members that would make a JWK private; jwk.json must never hold them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Parses account/jwk.json, refusing anything that is not a public EC or RSA key. */
export function parsePublicJwk(text: string): JWK {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, 'account public JWK is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, 'account public JWK is not a JSON object');
  }
  const jwk = value as JWK;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, 'account JWK holds private key members; it must be public only');
  }
  const complete =
    (jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string') ||
    (jwk.kty === 'RSA' && typeof jwk.n === 'string' && typeof jwk.e === 'string');
  if (!complete) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `account JWK is not a complete public EC or RSA key (kty=${String(jwk.kty)})`);
  }
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
