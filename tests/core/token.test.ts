import { describe, expect, it } from 'vitest';
import { isValidToken, tokenFromPath } from '../../lib/core/index.js';

describe('challenge tokens', () => {
  const token = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';

  it.each([
    [token, true],
    ['a'.repeat(22), true],
    ['a'.repeat(21), false],
    ['a'.repeat(256), true],
    ['a'.repeat(257), false],
    [`${token}=`, false],
    [`${token}.x`, false],
    ['..%2f..%2fetc%2fpasswd-aaaaaaaaaaaaaaa', false],
    [`${token}\u0000`, false],
    ['ünïcödé-tokens-are-not-base64url', false],
    ['', false],
  ])('isValidToken(%j) is %s', (value, expected) => {
    expect(isValidToken(value)).toBe(expected);
  });

  it('takes the token from a challenge path and nothing else', () => {
    expect(tokenFromPath(`/.well-known/acme-challenge/${token}`)).toBe(token);
    expect(tokenFromPath(`/.well-known/acme-challenge/${token}/`)).toBeUndefined();
    expect(tokenFromPath(`/.well-known/acme-challenge/../${token}`)).toBeUndefined();
    expect(tokenFromPath(`/other/${token}`)).toBeUndefined();
    expect(tokenFromPath('/.well-known/acme-challenge/')).toBeUndefined();
  });
});
