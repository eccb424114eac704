import { createHmac, createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { ExternalAccountBinding } from '../../lib/core/index.js';

/** A flattened JWS (RFC 7515 §7.2.2), the only serialization ACME accepts (RFC 8555 §6.2). */
export interface FlattenedJws {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

/** Who signs: the account URL once the CA knows the account (`kid`), else the public key itself (`jwk`). */
export type Signer = { readonly kid: string } | { readonly jwk: true };

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** ES256 for an EC P-256 account key, RS256 for RSA (account.ts makes only these two). */
export function algorithmOf(key: KeyObject): 'ES256' | 'RS256' {
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new TypeError(`an ACME account key must be EC P-256 or RSA, not ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** The public JWK of a private key: only the public members, as the CA and the responder see it. */
export function publicJwk(key: KeyObject): Record<string, string> {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as Record<string, string | undefined>;
  const members = jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, n: jwk.n, e: jwk.e };
  return Object.fromEntries(Object.entries(members).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * Signs an ACME request (RFC 8555 §6.2). `payload` undefined is POST-as-GET (§6.3: the empty
 * string); `nonce` undefined is an inner JWS (key change, §7.3.5), which carries none.
 */
export function signJws(key: KeyObject, signer: Signer, url: string, nonce: string | undefined, payload: unknown): FlattenedJws {
  const alg = algorithmOf(key);
  const header = { alg, ...('kid' in signer ? { kid: signer.kid } : { jwk: publicJwk(key) }), ...(nonce === undefined ? {} : { nonce }), url };
  const protectedPart = b64(JSON.stringify(header));
  const payloadPart = payload === undefined ? '' : b64(JSON.stringify(payload));
  const input = `${protectedPart}.${payloadPart}`;
  // JWS wants ECDSA signatures as r || s (RFC 7518 §3.4), not node's default DER.
  const signature = alg === 'ES256' ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), key);
  return { protected: protectedPart, payload: payloadPart, signature: b64(signature) };
}

/**
 * The externalAccountBinding of a newAccount request (RFC 8555 §7.3.4): the account's public JWK,
 * MACed with HS256 under the CA's key and kid, for the newAccount URL.
 */
export function externalAccountBinding(eab: ExternalAccountBinding, accountKey: KeyObject, newAccountUrl: string): FlattenedJws {
  const protectedPart = b64(JSON.stringify({ alg: 'HS256', kid: eab.kid, url: newAccountUrl }));
  const payloadPart = b64(JSON.stringify(publicJwk(accountKey)));
  const mac = createHmac('sha256', Buffer.from(eab.hmacKey, 'base64url')).update(`${protectedPart}.${payloadPart}`).digest();
  return { protected: protectedPart, payload: payloadPart, signature: b64(mac) };
}
