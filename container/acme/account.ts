import type { KeyObject } from 'node:crypto';
import {
  ErrorCodes,
  IssuerError,
  accountRegistrationShape,
  layout,
  parseStored,
  pollSchedule,
  restoreHint,
  type AccountRegistration,
  type IssuerConfig,
  type KeyType,
  type ObjectStore,
  type StoredObject,
} from '../../lib/core/index.js';
import { AcmeClient } from './client.js';
import { fetchDirectory } from './directory.js';
import { caError } from './errors.js';
import { AcmeIssuer } from './issuer.js';
import { accountKeyOf, publishedRollover, waitUntil, type AccountKey } from './account-keys.js';
import { accountJwkText, createPrivateKeyPem } from './keys.js';
import type { CertificateIssuer } from './port.js';
import type { RequestPacingStats } from './request-pacing.js';

interface CaAccount {
  readonly accountUrl: string;
  readonly contact: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The key this CA has for the account, once a rollover moved it (absent: the file's top-level thumbprint). */
  readonly thumbprint?: string;
}

/** account/registration.json: the key's thumbprint and its account at each CA, by directory URL. */
interface AccountRegistrations {
  readonly keyType: KeyType;
  readonly thumbprint: string;
  readonly accounts: Readonly<Record<string, CaAccount>>;
}

export interface Account {
  /** What the lifecycle orders and revokes with (port.ts). */
  readonly issuer: CertificateIssuer;
  readonly registration: AccountRegistration;
  /** The CA's directory meta.caaIdentities: what a CAA issue record must name (empty: the CA lists none). */
  readonly caaIdentities: readonly string[];
  /** True when this call changed anything (key created, jwk uploaded, account registered). */
  readonly changed: boolean;
  /** How the client's signed requests went: nonces reused and fetched, most in flight at once. */
  readonly requests: RequestPacingStats;
}

/**
 * Makes sure one account exists and the responder can answer for it. Idempotent: the key in S3
 * is reused, jwk.json and registration.json are written only when they differ, and the CA returns
 * the existing account for a known key. The key is created with If-None-Match so two issuers
 * starting at once end up with the same key.
 */
export interface AccountOptions {
  /**
   * Create a new account key even though a public JWK or registration is published (`register
   * --new-account`): the responders' thumbprint and any CAA accounturi pin then change.
   * @default false
   */
  readonly allowNewAccount?: boolean;
}

export async function ensureAccount(store: ObjectStore, config: IssuerConfig, now: () => Date, options: AccountOptions = {}): Promise<Account> {
  let changed = false;
  // The directory is read while S3 answers (the TLS handshake with the CA overlaps them too),
  // once per run: the client is handed it and never reads it again.
  const directoryRead = fetchDirectory(config.directoryUrl).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  // The account objects are independent reads: one round trip instead of four.
  const [storedKey, storedJwk, previousObject, storedNextKey] = await Promise.all([store.get(layout.accountKey), store.get(layout.accountJwk), store.get(layout.accountRegistration), store.get(layout.accountNextKey)]);
  let keyPem = storedKey?.body;
  if (keyPem === undefined && options.allowNewAccount !== true) {
    const published = [storedJwk === undefined ? undefined : layout.accountJwk, previousObject === undefined ? undefined : layout.accountRegistration].filter((k) => k !== undefined);
    if (published.length > 0) throw missingAccountKey(published);
  }
  if (keyPem === undefined) {
    const created = await createPrivateKeyPem(config.accountKeyType);
    try {
      await store.put(layout.accountKey, created, { condition: { ifNoneMatch: '*' }, sensitive: true });
      keyPem = created;
      changed = true;
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
      keyPem = (await store.get(layout.accountKey))?.body;
    }
  }
  const current = await accountKeyOf(layout.accountKey, keyPem);
  // During a rollover jwk.json is the rollover's (rollover.ts) and the next key signs everywhere:
  // responders answer with it from `from` on, so no order is placed with the old key after that.
  const rollover = await publishedRollover(current, storedJwk, storedNextKey);
  if (rollover === undefined) {
    const jwkText = accountJwkText(current.jwk);
    if (storedJwk?.body !== jwkText) {
      await store.put(layout.accountJwk, jwkText);
      changed = true;
    }
  }
  const signing = rollover?.next ?? current;

  const contact = config.contactEmail === undefined ? [] : [`mailto:${config.contactEmail}`];
  const directory = await directoryRead;
  if (directory instanceof Error) throw caError(`registering the ACME account at ${config.directoryUrl}`, directory.cause ?? directory, ErrorCodes.CA_UNAVAILABLE);
  const client = new AcmeClient({ directory, accountKey: signing.key, eab: config.eab });
  // One key, one account per CA: registration.json keeps them all, so the responder's single
  // thumbprint answers for every CA. An account stays listed while its CA's key is one we hold.
  const previous = previousObject === undefined ? undefined : parseStored<AccountRegistrations>(layout.accountRegistration, previousObject.body, accountRegistrationShape);
  const held = new Set([current.thumbprint, signing.thumbprint]);
  const accounts = Object.fromEntries(Object.entries(previous?.accounts ?? {}).filter(([, account]) => held.has(account.thumbprint ?? previous!.thumbprint)));
  const known = accounts[config.directoryUrl];
  const knownKey = known === undefined ? undefined : (known.thumbprint ?? previous!.thumbprint);
  // Asked of the CA on every run, not taken from registration.json: a CA that forgot the account
  // (pebble restarted, an account deactivated) is then found out here and registered again.
  try {
    if (rollover !== undefined) {
      await waitUntil(rollover.from, now);
      await moveToNextKey(client, new AcmeClient({ directory, accountKey: current.key }), rollover.next.key, known?.accountUrl);
    }
    await findOrCreateAccount(client, contact);
  } catch (error) {
    throw caError(`registering the ACME account at ${config.directoryUrl}`, error, ErrorCodes.CA_UNAVAILABLE);
  }

  const accountUrl = client.accountUrl;
  let entry: CaAccount;
  if (known !== undefined && knownKey === signing.thumbprint && known.accountUrl === accountUrl && JSON.stringify(known.contact) === JSON.stringify(contact)) {
    entry = known;
  } else {
    const at = now().toISOString();
    entry = { accountUrl, contact, createdAt: known?.createdAt ?? at, updatedAt: at, ...(signing.thumbprint === current.thumbprint ? {} : { thumbprint: signing.thumbprint }) };
    await recordAccount(store, previousObject, config.directoryUrl, entry, current, held);
    changed = true;
  }
  const { thumbprint: _own, ...account } = entry;
  const registration: AccountRegistration = { directoryUrl: config.directoryUrl, keyType: signing.keyType, thumbprint: signing.thumbprint, ...account };
  return { issuer: new AcmeIssuer(client, pollSchedule(config.pollMinMs)), registration, caaIdentities: directory.caaIdentities, changed, requests: client.stats };
}

/**
 * Writes this CA's account into registration.json by the version read (If-Match), reading again
 * on a conflict: `renew` sets up the accounts of several CAs at once, and a plain write would
 * drop the one another run just added (and `rollover` changes the key at every CA listed).
 */
async function recordAccount(store: ObjectStore, read: StoredObject | undefined, directoryUrl: string, entry: CaAccount, current: AccountKey, held: ReadonlySet<string>): Promise<void> {
  for (let attempt = 0, object = read; ; attempt++) {
    const previous = object === undefined ? undefined : parseStored<AccountRegistrations>(layout.accountRegistration, object.body, accountRegistrationShape);
    const accounts = Object.fromEntries(Object.entries(previous?.accounts ?? {}).filter(([, account]) => held.has(account.thumbprint ?? previous!.thumbprint)));
    // the key.pem's own accounts keep no thumbprint of their own, as before rollover existed
    const next: AccountRegistrations = { keyType: current.keyType, thumbprint: current.thumbprint, accounts: { ...accounts, [directoryUrl]: entry } };
    try {
      await store.put(layout.accountRegistration, `${JSON.stringify(next, null, 2)}\n`, { condition: object === undefined ? { ifNoneMatch: '*' } : { ifMatch: object.etag } });
      return;
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) || attempt >= 10) throw error;
      object = await store.get(layout.accountRegistration);
    }
  }
}

/**
 * account/key.pem is gone but the account it made is published: a new key would be a new
 * account, with a new thumbprint every responder has cached and any CAA accounturi pin refuses.
 * The key is still in the versioned bucket's history, so this is refused, not "healed".
 */
export function missingAccountKey(published: readonly string[]): IssuerError {
  return new IssuerError(
    ErrorCodes.STORAGE_CORRUPT,
    `s3 object ${layout.accountKey} is missing though ${published.join(' and ')} ${published.length === 1 ? 'is' : 'are'} published: a new account key would change the account thumbprint every responder has cached and break any CAA accounturi pin, so none was made`,
    {
      hint: `${restoreHint(layout.accountKey)} (a deleted key shows as a delete marker: restore the version before it); only if the key is lost for good, run \`register --new-account\` and update CAA accounturi records`,
    },
  );
}

/**
 * Moves this CA's account to the next key (RFC 8555 §7.3.5), unless it has it already: `client`
 * holds the next key, `old` the current one. A crash between the CA's answer and our record is
 * found out here (the next key already finds the account), so no CA is asked twice. The account
 * URL must stay what it was: it is what CAA accounturi pins.
 */
async function moveToNextKey(client: AcmeClient, old: AcmeClient, nextKey: KeyObject, recordedUrl: string | undefined): Promise<void> {
  if ((await client.findAccount()) !== undefined) return assertSameAccount(client.accountUrl, recordedUrl);
  // a CA new to this account during the rollover is registered with the next key straight away
  if ((await old.findAccount()) === undefined) return;
  await old.changeKey(nextKey);
  const moved = await client.findAccount();
  if (moved === undefined) throw new IssuerError(ErrorCodes.CA_UNAVAILABLE, 'the CA accepted the account key change but does not find the account by the new key', { hint: 'run `rollover` again' });
  assertSameAccount(client.accountUrl, old.accountUrl);
  assertSameAccount(client.accountUrl, recordedUrl);
}

function assertSameAccount(accountUrl: string, expected: string | undefined): void {
  if (expected !== undefined && accountUrl !== expected) {
    throw new IssuerError(ErrorCodes.CA_UNAVAILABLE, `the CA answers the next account key with the account ${accountUrl}, not ${expected}: the account URL (and any CAA accounturi pin) would change`, {
      hint: 'nothing was moved in S3: check account/registration.json against the CA, and report it to the CA',
    });
  }
}

/**
 * Looks the key up first (onlyReturnExisting), so a known account is found without an "update"
 * the CA would refuse; registers only when the CA has none, and updates the contact if it changed.
 */
async function findOrCreateAccount(client: AcmeClient, contact: readonly string[]): Promise<void> {
  const found = await client.findAccount();
  if (found === undefined) {
    await client.createAccount(contact);
    return;
  }
  const account = found.body;
  if (account.status !== undefined && account.status !== 'valid') {
    throw new IssuerError(ErrorCodes.CA_UNAVAILABLE, `the CA reports the account as ${account.status}`, {
      hint: 'a deactivated or revoked account cannot be used again: move account/ aside in S3 and run register for a new one',
    });
  }
  if (JSON.stringify(account.contact ?? []) !== JSON.stringify(contact)) await client.updateAccount(contact);
}
