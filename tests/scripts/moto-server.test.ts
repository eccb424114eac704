// moto as the local stack runs it (scripts/local/moto-server.py) imports into ACM what AWS's ACM
// imports: a certificate whose subject has no CN and whose names are in the SAN only, as a current
// pebble and Let's Encrypt's tlsserver/shortlived profiles issue them (moto 5.2.1 alone answers
// 500, IndexError). End to end with a current pebble's CN-less certificates: tests/e2e/renewal-timing.test.ts (ARI).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand, ImportCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local/free-port.js';
import { repoRoot } from '../support/local-stack.js';

let dir: string;
let moto: ChildProcess;
let acm: ACMClient;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A leaf certificate signed by the test CA, with this subject and these SANs (none: no SAN extension). */
function leaf(name: string, subject: string, sans: readonly string[]): { Certificate: Buffer; PrivateKey: Buffer; CertificateChain: Buffer } {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), sans.length === 0 ? 'basicConstraints=CA:FALSE\n' : `subjectAltName=${sans.join(',')}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  return { Certificate: readFileSync(join(dir, `${name}.pem`)), PrivateKey: readFileSync(join(dir, `${name}.key`)), CertificateChain: readFileSync(join(dir, 'ca.pem')) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moto-server-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Test Intermediate', '-days', '2');
  const port = await freePort();
  moto = spawn('python3', ['scripts/local/moto-server.py', '-H', '127.0.0.1', '-p', String(port)], { cwd: repoRoot, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/moto-api/config`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || moto.exitCode !== null) throw new Error(`moto-server.py did not answer on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  acm = new ACMClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
}, 90_000);

afterAll(() => {
  if (moto?.pid !== undefined && moto.exitCode === null) process.kill(moto.pid);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("moto's ACM (scripts/local/moto_acm_subject.py)", () => {
  it('imports a certificate with an empty subject: DomainName is the first SAN, Subject is empty, re-import keeps the ARN', async () => {
    const files = leaf('no-cn', '/', ['DNS:first.example.com', 'DNS:second.example.com']);
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(files));
    expect(CertificateArn).toMatch(/^arn:aws:acm:us-east-1:\d{12}:certificate\//);
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn }));
    expect(Certificate).toMatchObject({ DomainName: 'first.example.com', Subject: '', SubjectAlternativeNames: ['first.example.com', 'second.example.com'], Issuer: 'Test Intermediate', Type: 'IMPORTED' });
    const listed = await acm.send(new ListCertificatesCommand({}));
    expect(listed.CertificateSummaryList?.find((c) => c.CertificateArn === CertificateArn)?.DomainName).toBe('first.example.com');

    const renewed = leaf('no-cn-2', '/', ['DNS:first.example.com', 'DNS:second.example.com']);
    const again = await acm.send(new ImportCertificateCommand({ ...renewed, CertificateArn }));
    expect(again.CertificateArn).toBe(CertificateArn);
  });

  it('takes a subject with other attributes but no CN, and an IP address as the only name', async () => {
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(leaf('ip', '/O=Example', ['IP:192.0.2.7'])));
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn }));
    expect(Certificate).toMatchObject({ DomainName: '192.0.2.7', Subject: 'O=Example' });
  });

  it('leaves a certificate with a CN as moto has it', async () => {
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(leaf('cn', '/CN=named.example.com', ['DNS:other.example.com', 'DNS:named.example.com'])));
    const { Certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn }));
    expect(Certificate).toMatchObject({ DomainName: 'named.example.com', Subject: 'CN=named.example.com' });
  });

  it('refuses a certificate that names no website (no CN, no SAN) with a ValidationException, as the import prerequisites require a name', async () => {
    const refused = await acm.send(new ImportCertificateCommand(leaf('nameless', '/', []))).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/neither a subject CN nor a DNS or IP address/) });
  });
});
