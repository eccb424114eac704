import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import type { KeyType } from '../../lib/core/index.js';

/** A new private key as PKCS#8 PEM. */
export async function createPrivateKeyPem(type: KeyType): Promise<string> {
  const encoding = { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: string, privateKey: string) => (error ? reject(error) : resolve(privateKey));
    if (type === 'rsa-2048') generateKeyPair('rsa', { modulusLength: 2048, ...encoding }, done);
    else generateKeyPair('ec', { namedCurve: 'P-256', ...encoding }, done);
  });
}

/** The public half of a private key as a JWK (only public members, by construction). */
export function publicJwkOf(privateKeyPem: string): Record<string, string> {
  const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'jwk' });
  const { kty, crv, x, y, n, e } = jwk as Record<string, string | undefined>;
  const members = kty === 'EC' ? { kty, crv, x, y } : { kty, n, e };
  return Object.fromEntries(Object.entries(members).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** account/jwk.json as the issuer writes it: the public JWK (publicJwkOf), pretty-printed, one trailing newline. */
export function accountJwkText(publicJwk: Record<string, string>): string {
  return `${JSON.stringify(publicJwk, null, 2)}\n`;
}

/** The key's type, or undefined when it is not one we use (or not a parseable private key at all). */
export function keyTypeOf(privateKeyPem: string): KeyType | undefined {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    return undefined;
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength === 2048) return 'rsa-2048';
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return 'ec-p256';
  return undefined;
}

/**
 * account/jwk.json during a rollover: the current public JWK's own members as before (a reader
 * that knows no rollover still answers with it), plus the next key's and the moment responders
 * switch to it (lib/core/stored-shapes.ts, accountJwkRolloverShape).
 */
export function rolloverJwkText(current: Record<string, string>, next: Record<string, string>, from: Date): string {
  return `${JSON.stringify({ ...current, next, nextFrom: from.toISOString() }, null, 2)}\n`;
}
