import { ErrorCodes, IssuerError, ROLLOVER_SWITCH_MARGIN_SECONDS, accountRegistrationShape, layout, parseStored, rolloverSwitchAt, type KeyType, type ObjectStore, type StoredObject } from '../../lib/core/index.js';
import { accountKeyOf, publishedRollover, waitUntil, type AccountKey } from '../acme/account-keys.js';
import { accountJwkText, createPrivateKeyPem, rolloverJwkText } from '../acme/keys.js';
import type { CommandContext } from './context.js';

interface StoredRegistrations {
  readonly keyType: KeyType;
  readonly thumbprint: string;
  readonly accounts: Readonly<Record<string, { readonly accountUrl: string; readonly thumbprint?: string }>>;
}

/**
 * `rollover`: a new account key at every CA the account is registered with (RFC 8555 §7.3.5),
 * the account URLs unchanged, no challenge failing on the way (docs/operations.md, "Rolling the
 * account key over"). Each step is found done or redone on the next run, and `issue`/`renew`
 * work between any two of them (acme/account.ts signs with the next key once it is published):
 *   1. the next key in account/next-key.pem (create-only)
 *   2. published in account/jwk.json beside the current one, with the moment responders switch
 *   3. a wait until then (JWK_REFRESH_SECONDS and a margin): every responder holds it by then
 *   4. the key change at each CA, recorded per CA in account/registration.json
 *   5. the next key becomes account/key.pem, registration.json and jwk.json name it alone; the old
 *      key stays only as a noncurrent version of account/key.pem (the bucket's versioning)
 */
export async function rolloverCommand(ctx: CommandContext): Promise<void> {
  const { store, config, progress, now } = ctx;
  const [keyObject, jwkObject, registrationObject, nextObject] = await Promise.all([store.get(layout.accountKey), store.get(layout.accountJwk), store.get(layout.accountRegistration), store.get(layout.accountNextKey)]);
  if (keyObject === undefined || registrationObject === undefined) {
    throw new IssuerError(ErrorCodes.NOT_FOUND, `no account to roll over: ${keyObject === undefined ? layout.accountKey : layout.accountRegistration} does not exist`, { hint: 'run `register` first' });
  }
  const current = await accountKeyOf(layout.accountKey, keyObject.body);
  const before = parseStored<StoredRegistrations>(layout.accountRegistration, registrationObject.body, accountRegistrationShape);
  if (Object.keys(before.accounts).length === 0) throw new IssuerError(ErrorCodes.NOT_FOUND, 'the account is registered at no CA', { hint: 'run `register` first' });
  const previousThumbprint = before.thumbprint;

  let rollover = await publishedRollover(current, jwkObject, nextObject);
  if (rollover === undefined) {
    const next = await progress.step(
      'next account key',
      () => nextKey(store, current, nextObject, config.accountKeyType),
      (k) => `${k.keyType}, thumbprint ${k.thumbprint} in ${layout.accountNextKey}`,
    );
    const from = rolloverSwitchAt(now(), config.jwkRefreshSeconds);
    await progress.step(
      'publish it beside the current key',
      // If-Match: a second rollover started at once fails here instead of moving the switch time under the first
      () => store.put(layout.accountJwk, rolloverJwkText(current.jwk, next.jwk, from), jwkObject === undefined ? {} : { condition: { ifMatch: jwkObject.etag } }),
      () => `${layout.accountJwk}: responders answer with the next key from ${from.toISOString()}`,
    );
    rollover = { next, from };
  } else {
    progress.info(`resuming the rollover to thumbprint ${rollover.next.thumbprint}: responders answer with it from ${rollover.from.toISOString()}`);
  }
  const { next, from } = rollover;
  await progress.step(
    'wait until every responder has the next key',
    () => waitUntil(from, now),
    () => `JWK_REFRESH_SECONDS=${config.jwkRefreshSeconds} and ${ROLLOVER_SWITCH_MARGIN_SECONDS} s after publishing`,
  );

  // The key change at each CA is the account step every command runs (acme/account.ts); read the
  // list again after each round, in case another issuer registered at a CA meanwhile.
  const moved: { ca: string; account: string }[] = [];
  for (;;) {
    const registrations = await readRegistrations(store);
    const pending = Object.entries(registrations.accounts).filter(([ca, account]) => (account.thumbprint ?? registrations.thumbprint) !== next.thumbprint && !moved.some((m) => m.ca === ca));
    if (pending.length === 0) break;
    for (const [ca, recorded] of pending) {
      const account = await ctx.account(ca);
      // acme/account.ts refuses a changed URL already; this says it where the rollover reports
      if (account.registration.accountUrl !== recorded.accountUrl || account.registration.thumbprint !== next.thumbprint) {
        throw new IssuerError(ErrorCodes.CA_UNAVAILABLE, `the account at ${ca} is ${account.registration.accountUrl} with key ${account.registration.thumbprint}, not ${recorded.accountUrl} with the next key`, {
          hint: 'nothing was retired: check account/registration.json against the CA, then run `rollover` again',
        });
      }
      moved.push({ ca, account: account.registration.accountUrl });
    }
  }
  const registrations = await readRegistrations(store);
  const stale = Object.entries(registrations.accounts).filter(([, account]) => (account.thumbprint ?? registrations.thumbprint) !== next.thumbprint);
  if (stale.length > 0) {
    throw new IssuerError(ErrorCodes.CA_UNAVAILABLE, `the account key was not changed at ${stale.map(([ca]) => ca).join(', ')}`, { hint: 'run `rollover` again; the old key stays in use there until then' });
  }

  await progress.step(
    'retire the old key',
    () => retire(store, next),
    () => `${layout.accountKey} is the next key; the old one is a noncurrent version of it`,
  );
  progress.result('rolled over', {
    thumbprint: next.thumbprint,
    previousThumbprint,
    keyType: next.keyType,
    accounts: Object.entries(registrations.accounts).map(([ca, account]) => `${ca} ${account.accountUrl}`),
    publicJwk: `s3://${config.bucket}/${layout.accountJwk}`,
  });
}

/**
 * account/next-key.pem: created once (If-None-Match), reused after a crash before it was
 * published, and replaced only when it is the leftover of a finished rollover (the current key
 * itself), by the version read (If-Match).
 */
async function nextKey(store: ObjectStore, current: AccountKey, stored: { body: string; etag: string } | undefined, keyType: KeyType): Promise<AccountKey> {
  if (stored !== undefined) {
    const existing = await accountKeyOf(layout.accountNextKey, stored.body);
    if (existing.thumbprint !== current.thumbprint) return existing;
  }
  const pem = await createPrivateKeyPem(keyType);
  try {
    await store.put(layout.accountNextKey, pem, { condition: stored === undefined ? { ifNoneMatch: '*' } : { ifMatch: stored.etag }, sensitive: true });
  } catch (error) {
    if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
    // another rollover made one first: use that one
    return accountKeyOf(layout.accountNextKey, (await store.get(layout.accountNextKey))?.body);
  }
  return accountKeyOf(layout.accountNextKey, pem);
}

/**
 * Step 5, in an order that leaves a working state after each write: key.pem first (the next key
 * then signs whichever way it is found), registration.json, and jwk.json last, whose `next` is
 * what tells every command that a rollover is under way.
 */
async function retire(store: ObjectStore, next: AccountKey): Promise<void> {
  const key = await store.get(layout.accountKey);
  if (key?.body !== next.pem) await store.put(layout.accountKey, next.pem, { ...(key === undefined ? {} : { condition: { ifMatch: key.etag } }), sensitive: true });
  // by the version read, as acme/account.ts writes it: a CA another run adds meanwhile stays listed
  for (let attempt = 0; ; attempt++) {
    const object = await store.get(layout.accountRegistration);
    const registrations = await readRegistrations(store, object);
    if (registrations.thumbprint === next.thumbprint) break;
    // an account still on another key keeps naming it, so the new top-level thumbprint never claims it
    const accounts = Object.fromEntries(
      Object.entries(registrations.accounts).map(([ca, { thumbprint = registrations.thumbprint, ...account }]) => [ca, thumbprint === next.thumbprint ? account : { ...account, thumbprint }]),
    );
    try {
      await store.put(layout.accountRegistration, `${JSON.stringify({ ...registrations, keyType: next.keyType, thumbprint: next.thumbprint, accounts }, null, 2)}\n`, { condition: { ifMatch: object!.etag } });
      break;
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) || attempt >= 10) throw error;
    }
  }
  await store.put(layout.accountJwk, accountJwkText(next.jwk));
}

async function readRegistrations(store: ObjectStore, read?: StoredObject): Promise<StoredRegistrations> {
  const object = read ?? (await store.get(layout.accountRegistration));
  if (object === undefined) throw new IssuerError(ErrorCodes.NOT_FOUND, `${layout.accountRegistration} disappeared during the rollover`, { hint: 'restore it from the versioned bucket, then run `rollover` again' });
  return parseStored<StoredRegistrations>(layout.accountRegistration, object.body, accountRegistrationShape);
}
