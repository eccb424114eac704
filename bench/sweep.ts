// Part 3: the renewal sweep with nothing due. For N certificates (1,000 and 10,000) it writes the
// state the issuer keeps into a bucket of its own in moto (real objects: archive/ and live/ PEMs,
// live metadata, renewal/{name}.json, and the index renewal/_index.json), with certificates issued
// by a local CA made once, then runs `renew` (nothing due) several times and counts the requests
// moto served during each run (from moto's own request log) and the wall time and max RSS.
import { createHash, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { layout, type IndexEntry, type LiveMetadata, type RenewalIndex, type RenewalRecord } from '../lib/core/index.js';
import { benchBucket } from './lib/bench-bucket.js';
import { settledCount } from './lib/moto-requests.js';
import { measure, tail } from './lib/proc.js';
import type { BenchStack } from './lib/stack.js';
import { summarize } from './lib/stats.js';
import { benchDir, cliBundle } from './lib/tools.js';

x509.cryptoProvider.set(webcrypto as never);
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END ${label}-----\n`;

interface LocalCa {
  readonly cert: x509.X509Certificate;
  readonly caKey: webcrypto.CryptoKey;
  readonly leafPublic: webcrypto.CryptoKey;
  readonly leafPrivatePem: string;
}

/** The local CA and one leaf key pair, made once and kept under the bench folder. */
async function localCa(): Promise<LocalCa> {
  const dir = join(benchDir, 'sweep-ca');
  const file = join(dir, 'ca.json');
  const subtle = webcrypto.subtle;
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { cert: string; caKey: webcrypto.JsonWebKey; leafPublic: webcrypto.JsonWebKey; leafPrivatePem: string };
    return {
      cert: new x509.X509Certificate(saved.cert),
      caKey: await subtle.importKey('jwk', saved.caKey, EC, true, ['sign']),
      leafPublic: await subtle.importKey('jwk', saved.leafPublic, EC, true, ['verify']),
      leafPrivatePem: saved.leafPrivatePem,
    };
  }
  const caKeys = await subtle.generateKey(EC, true, ['sign', 'verify']);
  const leafKeys = await subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=acme-on-aws bench local CA',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: SIGN,
    keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const leafPrivatePem = pem('PRIVATE KEY', await subtle.exportKey('pkcs8', leafKeys.privateKey));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({
      cert: cert.toString('pem'),
      caKey: await subtle.exportKey('jwk', caKeys.privateKey),
      leafPublic: await subtle.exportKey('jwk', leafKeys.publicKey),
      leafPrivatePem,
    }),
  );
  return { cert, caKey: caKeys.privateKey, leafPublic: leafKeys.publicKey, leafPrivatePem };
}

/** Runs tasks with at most `width` in flight. */
async function pool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export async function runSweep(stack: BenchStack, log: (line: string) => void) {
  const sizes = (process.env.BENCH_SWEEP_SIZES ?? '1000,10000').split(',').map(Number);
  const rounds = Number(process.env.BENCH_SWEEP_ROUNDS ?? 5);
  const objectSet = process.env.BENCH_SWEEP_OBJECTS === 'full' ? 'full' : 'core';
  const ca = await localCa();
  const caPem = ca.cert.toString('pem');
  const motoLog = join(stack.stateDir, 'logs', 'moto.log');
  const rows = [];
  for (const n of sizes) {
    const bucket = `acme-bench-sweep-${n}`;
    const { options, put } = await benchBucket(stack, bucket);

    const generateStarted = performance.now();
    const now = Date.now();
    const entries: Record<string, IndexEntry> = {};
    const names = Array.from({ length: n }, (_, i) => `sweep-${i}`);
    let objects = 0;
    await pool(names, Number(process.env.BENCH_SWEEP_PUT_CONCURRENCY ?? 48), async (name) => {
      const i = Number(name.slice(6));
      const domain = `s${i}.sweep${n}.example.com`;
      const notBefore = new Date(now - 10 * DAY - (i % 1000) * 60_000);
      const notAfter = new Date(notBefore.getTime() + 90 * DAY);
      const renewAt = new Date(notAfter.getTime() - 30 * DAY).toISOString();
      const serial = createHash('sha256').update(`${n}/${name}`).digest('hex').slice(0, 32);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial,
        subject: `CN=${domain}`,
        issuer: ca.cert.subject,
        notBefore,
        notAfter,
        signingAlgorithm: SIGN,
        publicKey: ca.leafPublic,
        signingKey: ca.caKey,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }])],
      });
      const certPem = cert.toString('pem');
      const files = { 'cert.pem': `${certPem}\n`, 'chain.pem': `${caPem}\n`, 'fullchain.pem': `${certPem}\n${caPem}\n`, 'privkey.pem': ca.leafPrivatePem };
      const metadata: LiveMetadata = {
        name,
        serial,
        archivePrefix: layout.archiveDir(name, serial),
        names: [domain],
        issuer: ca.cert.subject,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        fingerprintSha256: Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex'),
        keyAlgorithm: 'ec-p256',
        directoryUrl: stack.ourDirectory,
        issuedAt: notBefore.toISOString(),
      };
      const record: RenewalRecord = {
        name,
        domains: [domain],
        keyType: 'ec-p256',
        directoryUrl: stack.ourDirectory,
        state: 'active',
        serial,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        renewAt,
        renewalRule: 'bench: a third of the lifetime left',
        acm: [],
        lastError: undefined,
        history: [{ at: notBefore.toISOString(), state: 'active', cause: 'bench state generator' }],
        updatedAt: notBefore.toISOString(),
      };
      // 'core' (default): the record, the live pointer and the live fullchain (3 objects); 'full':
      // everything an issuance writes (4 archive PEMs, 4 live PEMs, metadata, record: 10 objects).
      const writes: Promise<unknown>[] = [put(layout.liveMetadata(name), `${JSON.stringify(metadata, null, 2)}\n`), put(layout.renewal(name), `${JSON.stringify(record, null, 2)}\n`)];
      if (objectSet === 'full') {
        for (const [file, body] of Object.entries(files)) {
          writes.push(put(layout.archivePem(name, serial, file as never), body), put(layout.livePem(name, file as never), body));
        }
      } else {
        writes.push(put(layout.livePem(name, 'fullchain.pem'), files['fullchain.pem']));
      }
      await Promise.all(writes);
      objects += writes.length;
      entries[name] = {
        state: 'active',
        domainsKey: domain,
        keyType: 'ec-p256',
        directoryUrl: stack.ourDirectory,
        serial,
        notAfter: notAfter.toISOString(),
        renewAt,
        retryAt: undefined,
        ariCheckAt: undefined,
        acmArns: [],
      };
    });
    const index: RenewalIndex = { version: 1, entries };
    const indexText = `${JSON.stringify(index)}\n`;
    await put(layout.renewalIndex, indexText);
    objects += 1;
    const generateMs = performance.now() - generateStarted;
    log(`sweep: ${n} certificates, ${objects} objects written in ${(generateMs / 1000).toFixed(1)} s (index ${(indexText.length / 1024).toFixed(0)} KiB)`);

    const samples = [];
    for (let round = 1; round <= rounds; round++) {
      const before = await settledCount(motoLog, bucket);
      const result = await measure(process.execPath, [cliBundle, 'renew', '--json'], options);
      const after = await settledCount(motoLog, bucket);
      const summary = result.stdout.split('\n').find((l) => l.includes('"event":"renew-summary"'));
      const parsed = summary ? (JSON.parse(summary) as Record<string, number>) : undefined;
      const ok = result.code === 0 && parsed?.skipped === n && parsed.issued === 0 && parsed.renewed === 0;
      samples.push({ round, wallMs: result.wallMs, maxRssKb: result.maxRssKb, s3Requests: after.s3 - before.s3, allRequests: after.total - before.total, ok });
      log(
        `  sweep ${n} r${round}: ${(result.wallMs / 1000).toFixed(2)} s, ${after.s3 - before.s3} S3 requests (${after.total - before.total} to moto in all), max RSS ${(result.maxRssKb / 1024).toFixed(0)} MiB${ok ? '' : ` NOT OK\n${tail(result.stdout, 6)}\n${tail(result.stderr, 6)}`}`,
      );
    }
    const good = samples.filter((x) => x.ok);
    rows.push({
      n,
      bucket,
      objectsWritten: objects,
      indexBytes: indexText.length,
      generateMs,
      samples,
      s3Requests: good.length > 0 ? Math.max(...good.map((x) => x.s3Requests)) : Number.NaN,
      wall: summarize(good.map((x) => x.wallMs)),
      maxRssKb: Math.max(0, ...good.map((x) => x.maxRssKb)),
    });
  }
  return {
    method: "requests counted from moto's own request log during each `renew` run (CERTIFICATES empty: renew every certificate already issued); the command is the bundle (node dist/cli.mjs)",
    objectSet,
    rows,
  };
}
