// Step 4 of an issuance (docs/architecture.md, "The issuance pipeline"): an archived version
// becomes the live one. The pointer is swapped with a conditional write, then the live/ copies
// follow; until they do, readers of the pointer already get the new, whole version.
import { layout, type CertificateInfo, type LiveMetadata, type ObjectStore } from '../../lib/core/index.js';
import { pemBodiesOf, type Archived, type CertificateFiles } from './archive.js';

export interface Published {
  readonly info: CertificateInfo;
  readonly metadata: LiveMetadata;
  /** Every object this issuance wrote: the archive's, then the pointer, then the live copies. */
  readonly keysWritten: readonly string[];
}

/**
 * The pointer first (If-Match on the one it replaces, so two writers cannot both win), then the
 * copies. A crash in between leaves a pointer ahead of its copies, which `healLiveCopies` finishes.
 */
export async function publishVersion(store: ObjectStore, name: string, archived: Archived): Promise<Published> {
  const pointerKey = layout.liveMetadata(name);
  const current = await store.get(pointerKey);
  await store.put(pointerKey, `${JSON.stringify(archived.metadata, null, 2)}\n`, {
    condition: current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag },
  });
  const copies = await writeLiveCopies(store, name, archived.files, archived.bundle);
  return { info: archived.info, metadata: archived.metadata, keysWritten: [...archived.keysWritten, pointerKey, ...copies] };
}

/** What a live copy should hold, by key: the four PEMs and bundle.json of the version the pointer names. */
export function liveCopiesOf(name: string, files: CertificateFiles, bundle: string): { key: string; body: string; sensitive: boolean }[] {
  return [...pemBodiesOf(files).map(({ file, body }) => ({ key: layout.livePem(name, file), body, sensitive: file === 'privkey.pem' })), { key: layout.liveBundle(name), body: bundle, sensitive: true }];
}

/**
 * The key first, then the objects that hold the certificate: a reader that sees the new
 * certificate in cert.pem or fullchain.pem finds its key already there. When the key is reused
 * (the default, container/certificates/key-reuse.ts) privkey.pem keeps its content, so no order
 * of reads can pair a certificate with a key that is not its own; bundle.json holds both at once.
 */
export async function writeLiveCopies(store: ObjectStore, name: string, files: CertificateFiles, bundle: string, only?: ReadonlySet<string>): Promise<string[]> {
  const copies = liveCopiesOf(name, files, bundle).filter((copy) => only === undefined || only.has(copy.key));
  const put = async (copy: { key: string; body: string; sensitive: boolean }) => {
    await store.put(copy.key, copy.body, { sensitive: copy.sensitive });
    return copy.key;
  };
  const keyFirst = copies.filter((copy) => copy.key === layout.livePem(name, 'privkey.pem'));
  const rest = copies.filter((copy) => copy.key !== layout.livePem(name, 'privkey.pem'));
  return [...(await Promise.all(keyFirst.map(put))), ...(await Promise.all(rest.map(put)))];
}
