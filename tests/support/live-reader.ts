// A consumer of live/NAME/ as a separate process (tests/reliability/handover.test.ts spawns it):
// several loops at once, each reading the objects the way some consumer would, with the AWS SDK
// against the stack's moto, checking every read pair with node:crypto (not the issuer's code).
// Prints `ready` after every loop has read once, and its counts as one JSON line on SIGTERM.
//
// env: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, CERT_BUCKET, READ_NAME
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { readObject } from './aws.js';

const name = process.env.READ_NAME!;
const bucket = process.env.CERT_BUCKET!;
const s3 = new S3Client({ region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true, maxAttempts: 3 });

export interface PatternCounts {
  reads: number;
  mismatches: number;
  /** An object not there, or a body that did not parse: never expected either. */
  unreadable: number;
  /** Requests that failed (moto busy on a loaded machine): not a verdict on the objects. */
  errors: number;
  serials: string[];
}

const read = (key: string) => readObject(s3, bucket, key);

/** The pair's serial when the key is the certificate's, 'mismatch' when not, undefined when unreadable. */
function judge(certPem: string | undefined, keyPem: string | undefined): string | undefined {
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    return fromKey.equals(cert.publicKey.export({ type: 'spki', format: 'der' })) ? cert.serialNumber.toLowerCase() : 'mismatch';
  } catch {
    return undefined;
  }
}

const live = (file: string) => `live/${name}/${file}`;

/** Each returns what it read as [certificate, key]. */
const PATTERNS: Record<string, () => Promise<[string | undefined, string | undefined]>> = {
  'cert.pem then privkey.pem': async () => {
    const cert = await read(live('cert.pem'));
    return [cert, await read(live('privkey.pem'))];
  },
  'privkey.pem then cert.pem': async () => {
    const key = await read(live('privkey.pem'));
    return [await read(live('cert.pem')), key];
  },
  'fullchain.pem and privkey.pem at once': async () => {
    const [fullchain, key] = await Promise.all([read(live('fullchain.pem')), read(live('privkey.pem'))]);
    return [fullchain, key];
  },
  'bundle.json': async () => {
    const text = await read(live('bundle.json'));
    const bundle = text === undefined ? undefined : (JSON.parse(text) as { certificate?: string; privateKey?: string });
    return [bundle?.certificate, bundle?.privateKey];
  },
  'metadata.json, then the bundle it names': async () => {
    const pointer = JSON.parse((await read(live('metadata.json'))) ?? '{}') as { bundleKey?: string };
    const text = pointer.bundleKey === undefined ? undefined : await read(pointer.bundleKey);
    const bundle = text === undefined ? undefined : (JSON.parse(text) as { certificate?: string; privateKey?: string });
    return [bundle?.certificate, bundle?.privateKey];
  },
};

const counts: Record<string, PatternCounts> = Object.fromEntries(Object.keys(PATTERNS).map((pattern) => [pattern, { reads: 0, mismatches: 0, unreadable: 0, errors: 0, serials: [] }]));
let stopping = false;
let started = 0;

async function loop(pattern: string): Promise<void> {
  const tally = counts[pattern]!;
  let first = true;
  while (!stopping) {
    let verdict: string | undefined;
    try {
      const [cert, key] = await PATTERNS[pattern]!();
      verdict = judge(cert, key);
    } catch (error) {
      if (!(error instanceof SyntaxError)) {
        tally.errors += 1;
        continue;
      }
      verdict = undefined;
    }
    tally.reads += 1;
    if (verdict === 'mismatch') tally.mismatches += 1;
    else if (verdict === undefined) tally.unreadable += 1;
    else if (!tally.serials.includes(verdict)) tally.serials.push(verdict);
    if (first) {
      first = false;
      if (++started === Object.keys(PATTERNS).length) process.stdout.write('ready\n');
    }
  }
}

const loops = Object.keys(PATTERNS).map(loop);
process.on('SIGTERM', () => {
  stopping = true;
  void Promise.all(loops).then(() => {
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    process.exit(0);
  });
});
