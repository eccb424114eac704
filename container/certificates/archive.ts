import {
  ErrorCodes,
  IssuerError,
  assertPairMatches,
  handoverDocument,
  keyMatchesCertificate,
  layout,
  parseCertificate,
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

/** Every PEM of a version with its file name, in the order they are written. */
export function pemBodiesOf(files: CertificateFiles): { file: PemFile; body: string }[] {
  return (Object.keys(FILE_OF) as PemFile[]).map((file) => ({ file, body: files[FILE_OF[file]] }));
}

/** A complete version in archive/NAME/SERIAL/, not yet live. */
export interface Archived {
  readonly info: CertificateInfo;
  /** The live pointer that will name this version. */
  readonly metadata: LiveMetadata;
  readonly files: CertificateFiles;
  /** bundle.json as archived (an interrupted run of the same order may have archived its own first). */
  readonly bundle: string;
  readonly keysWritten: readonly string[];
}

/**
 * Step 3 of an issuance (docs/architecture.md, "The issuance pipeline"), certbot's order of
 * writes on S3: the complete version goes to archive/NAME/SERIAL/ (create-only, so nothing
 * archived is ever overwritten) before anything live changes (publish.ts makes it live). A crash
 * here leaves the previous live certificate in place.
 */
export async function archiveVersion(store: ObjectStore, name: string, files: CertificateFiles, directoryUrl: string, now: Date): Promise<Archived> {
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
    ...pemBodiesOf(files).map(({ file, body }) => ({ key: layout.archivePem(name, info.serial, file), body, sensitive: file === 'privkey.pem' })),
    { key: layout.archiveBundle(name, info.serial), body: handoverDocument(metadata, files), sensitive: true },
  ];
  const created = await Promise.all(archived.map(({ key, body, sensitive }) => putCreateOnly(store, key, body, sensitive)));
  // The live bundle is the archived one, byte for byte.
  const bundle = created.at(-1) === true ? archived.at(-1)!.body : ((await store.get(layout.archiveBundle(name, info.serial)))?.body ?? archived.at(-1)!.body);
  return { info, metadata, files, bundle, keysWritten: archived.map(({ key }) => key) };
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
