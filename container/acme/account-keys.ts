// The account's keys as S3 holds them: account/key.pem, and during a rollover account/next-key.pem
// beside the next key's public JWK in account/jwk.json (lib/core/key-authorization.ts,
// parsePublishedJwk). Which one signs is decided here, for every command alike.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { ErrorCodes, IssuerError, jwkThumbprint, layout, parsePublishedJwk, type KeyType, type StoredObject } from '../../lib/core/index.js';
import { keyTypeOf, publicJwkOf } from './keys.js';

export interface AccountKey {
  readonly pem: string;
  readonly key: KeyObject;
  readonly keyType: KeyType;
  readonly jwk: Record<string, string>;
  readonly thumbprint: string;
}

/** A rollover under way: the next key is published, and responders answer with it from `from` on. */
export interface PublishedRollover {
  readonly next: AccountKey;
  readonly from: Date;
}

/** A stored private key, or ERR_STORAGE_CORRUPT naming the object when it is not one we use. */
export async function accountKeyOf(objectKey: string, pem: string | undefined): Promise<AccountKey> {
  const keyType = pem === undefined ? undefined : keyTypeOf(pem);
  if (pem === undefined || keyType === undefined) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${objectKey} is not an RSA 2048 or EC P-256 private key`, {
      hint: `restore the previous version of ${objectKey} from the versioned bucket; it was left untouched`,
    });
  }
  const jwk = publicJwkOf(pem);
  return { pem, key: createPrivateKey(pem), keyType, jwk, thumbprint: await jwkThumbprint(jwk) };
}

/**
 * The rollover account/jwk.json publishes, or undefined when it publishes the current key alone.
 * A published next key must be the one in account/next-key.pem, and account/key.pem one of the
 * two: anything else was edited by hand, and guessing would make the responders answer for a key
 * no CA has.
 */
export async function publishedRollover(current: AccountKey, jwkObject: StoredObject | undefined, nextKeyObject: StoredObject | undefined): Promise<PublishedRollover | undefined> {
  if (jwkObject === undefined) return undefined;
  let published;
  try {
    published = parsePublishedJwk(jwkObject.body);
  } catch {
    // an unreadable jwk.json is rewritten from account/key.pem, as before rollover existed
    return undefined;
  }
  if (published.next === undefined) return undefined;
  const nextThumbprint = await jwkThumbprint(published.next.jwk);
  const next = nextKeyObject === undefined ? undefined : await accountKeyOf(layout.accountNextKey, nextKeyObject.body);
  if (next === undefined || next.thumbprint !== nextThumbprint) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${layout.accountJwk} publishes a next account key (thumbprint ${nextThumbprint}) that ${layout.accountNextKey} does not hold`, {
      hint: `restore the version of ${layout.accountNextKey} whose key ${layout.accountJwk} names (the bucket is versioned), then run \`rollover\` to finish; nothing was changed`,
    });
  }
  const currentThumbprint = await jwkThumbprint(published.current);
  if (current.thumbprint !== currentThumbprint && current.thumbprint !== next.thumbprint) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${layout.accountKey} is neither the current nor the next key ${layout.accountJwk} publishes`, {
      hint: `restore the version of ${layout.accountKey} with thumbprint ${currentThumbprint} (the bucket is versioned), then run \`rollover\` to finish; nothing was changed`,
    });
  }
  return { next, from: published.next.from };
}

/** Waits until `at` (responders switch to the next key then); returns at once when it has passed. */
export async function waitUntil(at: Date, now: () => Date): Promise<void> {
  for (let left = at.getTime() - now().getTime(); left > 0; left = at.getTime() - now().getTime()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 60_000)));
  }
}
