import {
  ErrorCodes,
  IssuerError,
  keyMatchesCertificate,
  layout,
  parseCertificate,
  liveMetadataShape,
  parseStored,
  splitPemChain,
  type CertificateInfo,
  type LiveMetadata,
  type ObjectStore,
  type PemFile,
} from '../../lib/core/index.js';

export interface CertificateFiles {
  readonly cert: string;
  readonly chain: string;
  readonly fullchain: string;
  readonly privkey: string;
}

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
  // Archived files are create-only and nothing points at them yet: written all at once.
  const keysWritten = await Promise.all(
    (Object.keys(FILE_OF) as PemFile[]).map(async (file) => {
      const key = layout.archivePem(name, info.serial, file);
      try {
        await store.put(key, files[FILE_OF[file]], { condition: { ifNoneMatch: '*' }, sensitive: file === 'privkey.pem' });
      } catch (error) {
        // Already archived by an interrupted run of this same order: the serial names one certificate.
        if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT)) throw error;
      }
      return key;
    }),
  );

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
  };
  const pointerKey = layout.liveMetadata(name);
  const current = await store.get(pointerKey);
  await store.put(pointerKey, `${JSON.stringify(metadata, null, 2)}\n`, {
    condition: current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag },
  });
  keysWritten.push(pointerKey);
  keysWritten.push(...(await writeLiveCopies(store, name, files)));
  return { info, metadata, keysWritten };
}

async function writeLiveCopies(store: ObjectStore, name: string, files: CertificateFiles): Promise<string[]> {
  // The key first, then the files that hold the certificate: a reader that sees the new
  // certificate in cert.pem or fullchain.pem finds its key already there.
  const put = async (file: PemFile) => {
    const key = layout.livePem(name, file);
    await store.put(key, files[FILE_OF[file]], { sensitive: file === 'privkey.pem' });
    return key;
  };
  const keyFirst = await put('privkey.pem');
  return [keyFirst, ...(await Promise.all((['chain.pem', 'fullchain.pem', 'cert.pem'] as const).map(put)))];
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
  return { cert, chain, fullchain, privkey };
}

/** Finishes an interrupted publish: makes the live/ copies match the pointer. Returns true when it had to. */
export async function syncLiveCopies(store: ObjectStore, name: string): Promise<boolean> {
  const metadata = await readLiveMetadata(store, name);
  if (metadata === undefined) return false;
  const [liveCert, liveKey] = await Promise.all([store.get(layout.livePem(name, 'cert.pem')), store.get(layout.livePem(name, 'privkey.pem'))]);
  const consistent =
    liveCert !== undefined &&
    liveKey !== undefined &&
    parseCertificate(liveCert.body).fingerprintSha256 === metadata.fingerprintSha256 &&
    keyMatchesCertificate(liveCert.body, liveKey.body);
  if (consistent) return false;
  await writeLiveCopies(store, name, await readLiveFiles(store, metadata));
  return true;
}
