import { createPrivateKey } from 'node:crypto';
import {
  ErrorCodes,
  IssuerError,
  jwkThumbprint,
  accountRegistrationShape,
  layout,
  parseStored,
  pollSchedule,
  restoreHint,
  type AccountRegistration,
  type IssuerConfig,
  type KeyType,
  type ObjectStore,
} from '../../lib/core/index.js';
import { AcmeClient } from './client.js';
import { fetchDirectory } from './directory.js';
import { caError } from './errors.js';
import { AcmeIssuer } from './issuer.js';
import { accountJwkText, createPrivateKeyPem, keyTypeOf, publicJwkOf } from './keys.js';
import type { CertificateIssuer } from './port.js';
import type { RequestPacingStats } from './request-pacing.js';

interface CaAccount {
  readonly accountUrl: string;
  readonly contact: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
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
  // The three account objects are independent reads: one round trip instead of three.
  const [storedKey, storedJwk, previousObject] = await Promise.all([store.get(layout.accountKey), store.get(layout.accountJwk), store.get(layout.accountRegistration)]);
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
  if (keyPem === undefined || keyTypeOf(keyPem) === undefined) {
    throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${layout.accountKey} is not an RSA 2048 or EC P-256 private key`, {
      hint: 'restore the previous version of account/key.pem from the versioned bucket; it was left untouched',
    });
  }

  const jwk = publicJwkOf(keyPem);
  const jwkText = accountJwkText(jwk);
  if (storedJwk?.body !== jwkText) {
    await store.put(layout.accountJwk, jwkText);
    changed = true;
  }

  const contact = config.contactEmail === undefined ? [] : [`mailto:${config.contactEmail}`];
  const directory = await directoryRead;
  if (directory instanceof Error) throw caError(`registering the ACME account at ${config.directoryUrl}`, directory.cause ?? directory, ErrorCodes.CA_UNAVAILABLE);
  const client = new AcmeClient({ directory, accountKey: createPrivateKey(keyPem), eab: config.eab });
  // One key, one account per CA: registration.json keeps them all, so the responder's single
  // thumbprint answers for every CA.
  const previous = previousObject === undefined ? undefined : parseStored<AccountRegistrations>(layout.accountRegistration, previousObject.body, accountRegistrationShape);
  const thumbprint = await jwkThumbprint(jwk);
  const keyType = keyTypeOf(keyPem)!;
  const known = previous?.thumbprint === thumbprint ? previous.accounts[config.directoryUrl] : undefined;
  // Asked of the CA on every run, not taken from registration.json: a CA that forgot the account
  // (pebble restarted, an account deactivated) is then found out here and registered again.
  try {
    await findOrCreateAccount(client, contact);
  } catch (error) {
    throw caError(`registering the ACME account at ${config.directoryUrl}`, error, ErrorCodes.CA_UNAVAILABLE);
  }

  const accountUrl = client.accountUrl;
  let entry: CaAccount;
  if (known !== undefined && known.accountUrl === accountUrl && JSON.stringify(known.contact) === JSON.stringify(contact)) {
    entry = known;
  } else {
    const at = now().toISOString();
    entry = { accountUrl, contact, createdAt: known?.createdAt ?? at, updatedAt: at };
    const accounts = previous?.thumbprint === thumbprint ? previous.accounts : {};
    const next: AccountRegistrations = { keyType, thumbprint, accounts: { ...accounts, [config.directoryUrl]: entry } };
    await store.put(layout.accountRegistration, `${JSON.stringify(next, null, 2)}\n`);
    changed = true;
  }
  const registration: AccountRegistration = { directoryUrl: config.directoryUrl, keyType, thumbprint, ...entry };
  return { issuer: new AcmeIssuer(client, pollSchedule(config.pollMinMs)), registration, caaIdentities: directory.caaIdentities, changed, requests: client.stats };
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
