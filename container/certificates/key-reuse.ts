import { layout, type KeyType, type ObjectStore, type RenewalRecord } from '../../lib/core/index.js';
import { keyTypeOf } from '../acme/keys.js';
import { readLiveFiles } from './archive.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';

export interface ReusedKey {
  readonly privateKeyPem: string;
  /** The archive object it was read from. */
  readonly source: string;
}

/**
 * The live version's private key, to order the next certificate with (certbot's --reuse-key,
 * cert-manager's rotationPolicy: Never): privkey.pem then never changes on renewal, so a reader
 * of the separate live files cannot pair a certificate with a key that is not its own. Read from
 * the archive version the pointer names (pair checked there), never from live/ copies. A new key
 * (undefined here) when asked (--rotate-key), after a revocation for keyCompromise, when the key
 * type changes, and for a first issuance.
 */
export async function reusableKey(store: ObjectStore, name: string, keyType: KeyType, record: RenewalRecord | undefined, rotate: boolean): Promise<ReusedKey | undefined> {
  if (rotate || record?.rotateKey === true) return undefined;
  const metadata = await readLiveMetadata(store, name);
  if (metadata === undefined) return undefined;
  const { privkey } = await readLiveFiles(store, metadata);
  if (keyTypeOf(privkey) !== keyType) return undefined;
  return { privateKeyPem: privkey, source: layout.archivePem(name, metadata.serial, 'privkey.pem') };
}
