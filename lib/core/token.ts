import { ErrorCodes, IssuerError } from './errors.js';

/**
 * RFC 8555 §8.1: a token carries at least 128 bits of entropy, base64url without padding,
 * so at least 22 characters. CAs use 43 in practice; the upper bound only stops abuse.
 */
export const TOKEN_MIN_LENGTH = 22;
export const TOKEN_MAX_LENGTH = 256;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function isValidToken(token: string): boolean {
  return token.length >= TOKEN_MIN_LENGTH && token.length <= TOKEN_MAX_LENGTH && BASE64URL.test(token);
}

export function assertValidToken(token: string): string {
  if (!isValidToken(token)) {
    throw new IssuerError(ErrorCodes.BAD_TOKEN, `challenge token must be ${TOKEN_MIN_LENGTH}-${TOKEN_MAX_LENGTH} base64url characters`);
  }
  return token;
}

export const CHALLENGE_PATH_PREFIX = '/.well-known/acme-challenge/';

/** The token of a challenge path, or undefined when the path is not one (no decoding: ALB passes raw paths). */
export function tokenFromPath(path: string): string | undefined {
  if (!path.startsWith(CHALLENGE_PATH_PREFIX)) return undefined;
  const token = path.slice(CHALLENGE_PATH_PREFIX.length);
  return isValidToken(token) ? token : undefined;
}
