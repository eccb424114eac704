import {
  ErrorCodes,
  IssuerError,
  assertPairMatches,
  handoverDocument,
  keyMatchesCertificate,
  layout,
  parseCertificate,
  liveMetadataShape,
  parseStored,
  splitPemChain,
  type CertificateInfo,
  type HandoverFiles,
  type LiveMetadata,
  type ObjectStore,
  type PemFile,
} from '../../lib/core/index.js';

export type CertificateFiles = HandoverFiles;

export function certificateFiles(fullchainPem: string, privateKeyPem: string): CertificateFiles {
  const [leaf, ...intermediates] = splitPemChain(fullchainPem);
  return { cert: leaf!, chain: intermediates.join(''), fullchain: [leaf!, ...intermediates].join(''), privkey: privateKeyPem };
}

const FILE_OF: Record<PemFile, keyof CertificateFiles> = {
  'cert.pem': 'cert',
  'chain.pem': 'chain',
  'fullchain.pem': 'fullchain',
  'privkey.pem': 'privkey',
};

export interface Published {
  readonly info: CertificateInfo;
  readonly metadata: LiveMetadata;
  readonly keysWritten: readonly string[];
}

/**
 * certbot's order of writes, on S3: the complete version goes to archive/NAME/SERIAL/ (create-only,
 * so nothing archived is ever overwritten), then the live pointer is swapped with a conditional
 * write, then the live/ copies follow. A crash leaves the previous live certificate in place, or
 * a pointer ahead of its copies, which `syncLiveCopies` finishes on the next run.
 */
export async function publishCertificate(
  store: ObjectStore,
  name: string,
  files: CertificateFiles,
  directoryUrl: string,
  now: Date,
): Promise<Published> {
  if (!keyMatchesCertificate(files.cert, files.privkey)) {
    throw new IssuerError(ErrorCodes.ORDER_FAILED, 'the CA returned a certificate that does not match our private key; nothing was stored');
  }
  const info = parseCertificate(files.cert);
  const metadata: LiveMetadata = {
    name,
    serial: info.serial,
    archivePrefix: layout.archiveDir(name, info.serial),
    names: info.names,
    issuer: info.issuer,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    fingerprintSha256: info.fingerprintSha256,
    keyAlgorithm: info.keyAlgorithm,
    directoryUrl,
    issuedAt: now.toISOString(),
    bundleKey: layout.archiveBundle(name, info.serial),
  };
  // Archived objects are create-only and nothing points at them yet: written all at once.
  const archived = [
    ...(Object.keys(FILE_OF) as PemFile[]).map((file) => ({ key: layout.archivePem(name, info.serial, file), body: files[FILE_OF[file]], sensitive: file === 'privkey.pem' })),
    { key: layout.archiveBundle(name, info.serial), body: handoverDocument(metadata, files), sensitive: true },
  ];
  const created = await Promise.all(archived.map(({ key, body, sensitive }) => putCreateOnly(store, key, body, sensitive)));
  const keysWritten = archived.map(({ key }) => key);

  const pointerKey = layout.liveMetadata(name);
  const current = await store.get(pointerKey);
  await store.put(pointerKey, `${JSON.stringify(metadata, null, 2)}\n`, {
    condition: current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag },
  });
  keysWritten.push(pointerKey);
  // The live bundle is the archived one, byte for byte (an interrupted run may have archived its own first).
  const bundle = created.at(-1) === true ? archived.at(-1)!.body : ((await store.get(layout.archiveBundle(name, info.serial)))?.body ?? archived.at(-1)!.body);
  keysWritten.push(...(await writeLiveCopies(store, name, files, bundle)));
  return { info, metadata, keysWritten };
}

/**
 * Create-only. False when the object was already there: archived by an interrupted run of this
 * same order (the serial names one certificate), kept as it is.
 */
export async function putCreateOnly(store: ObjectStore, key: string, body: string, sensitive: boolean): Promise<boolean> {
  try {
    await store.put(key, body, { condition: { ifNoneMatch: '*' }, sensitive });
    return true;
  } catch (error) {
    if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
    return false;
  }
}

/** What a live copy should hold, by key: the four PEMs and bundle.json of the version the pointer names. */
export function liveCopiesOf(name: string, files: CertificateFiles, bundle: string): { key: string; body: string; sensitive: boolean }[] {
  return [
    ...(Object.keys(FILE_OF) as PemFile[]).map((file) => ({ key: layout.livePem(name, file), body: files[FILE_OF[file]], sensitive: file === 'privkey.pem' })),
    { key: layout.liveBundle(name), body: bundle, sensitive: true },
  ];
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

export async function readLiveMetadata(store: ObjectStore, name: string): Promise<LiveMetadata | undefined> {
  const key = layout.liveMetadata(name);
  const object = await store.get(key);
  return object === undefined ? undefined : parseStored<LiveMetadata>(key, object.body, liveMetadataShape);
}

/** The live version's files, read from the archive the pointer names (always a matching pair). */
export async function readLiveFiles(store: ObjectStore, metadata: LiveMetadata): Promise<CertificateFiles> {
  const read = async (file: PemFile) => {
    const key = layout.archivePem(metadata.name, metadata.serial, file);
    const object = await store.get(key);
    if (object === undefined) throw new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${key} is missing though live/${metadata.name}/metadata.json points at it`);
    return object.body;
  };
  const [cert, chain, fullchain, privkey] = await Promise.all([read('cert.pem'), read('chain.pem'), read('fullchain.pem'), read('privkey.pem')]);
  // Whatever is done with it next (copied to live/, its key reused, imported, exported), the pair must match.
  assertPairMatches({ cert, privkey }, { cert: layout.archivePem(metadata.name, metadata.serial, 'cert.pem'), privkey: layout.archivePem(metadata.name, metadata.serial, 'privkey.pem') });
  return { cert, chain, fullchain, privkey };
}
