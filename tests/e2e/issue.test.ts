// End to end on the local stack: the real CLI process, real pebble validating through the local
// ALB adapter into the real responder handler, real moto S3 and ACM.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { GetCertificateCommand } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAccount } from '../../container/acme/account.js';
import { AcmeClient } from '../../container/acme/client.js';
import { fetchDirectory } from '../../container/acme/directory.js';
import { waitForStatus } from '../../container/acme/poll.js';
import { MAX_SIGNED_REQUESTS_IN_FLIGHT } from '../../container/acme/request-pacing.js';
import { configureCaConnections } from '../../container/acme/tls.js';
import { S3ObjectStore } from '../../lib/store/s3-object-store.js';
import { chainVerifies, keyMatchesCertificate, layout, parseCertificate, parseIssuerConfig } from '../../lib/core/index.js';
import { clientsFor, pebbleRoot } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'issue' });
  aws = clientsFor(stack);
});
afterAll(async () => stack?.stop());

describe('register', () => {
  it('creates the account and publishes only the public JWK', async () => {
    const result = await runCli(stack, ['register']);
    expect(result.code, result.stderr).toBe(0);
    expect(eventOf(result, 'registered')).toMatchObject({ changed: true, keyType: 'ec-p256' });
    const jwk = JSON.parse((await aws.read('account/jwk.json'))!) as Record<string, string>;
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(await aws.read('account/key.pem')).toMatch(/BEGIN PRIVATE KEY/);
    const registration = JSON.parse((await aws.read('account/registration.json'))!) as { accounts: Record<string, { accountUrl: string }> };
    expect(registration.accounts[stack.env.ACME_DIRECTORY!]?.accountUrl).toMatch(/^https:\/\/localhost:\d+\/my-account\//);
  });

  it('changes nothing when run again', async () => {
    const before = await Promise.all(['account/key.pem', 'account/jwk.json', 'account/registration.json'].map((k) => aws.read(k)));
    const result = await runCli(stack, ['register']);
    expect(result.code, result.stderr).toBe(0);
    expect(eventOf(result, 'registered')).toMatchObject({ changed: false });
    const after = await Promise.all(['account/key.pem', 'account/jwk.json', 'account/registration.json'].map((k) => aws.read(k)));
    expect(after).toEqual(before);
  });
});

describe('issue', () => {
  const domains = ['shop.example.com', 'www.shop.example.com'];
  let firstArn: string;
  let firstSerial: string;

  it('issues one certificate for two names, validated through our responder, and imports it into ACM', async () => {
    const result = await runCli(stack, ['issue', '--name', 'shop', ...domains.flatMap((d) => ['--domain', d])]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const issued = eventOf(result, 'issued');
    expect(issued.names).toEqual(domains);
    expect(String(issued.acmArn)).toMatch(/^arn:aws:acm:us-east-1:\d{12}:certificate\//);
    firstArn = String(issued.acmArn);
    firstSerial = String(issued.serial);

    const steps = result.events.filter((e) => e.event === 'step').map((e) => e.step);
    expect(steps).toEqual(['account', 'create order', 'validate names over HTTP-01', 'finalize order', 'download certificate', 'store in S3 (archive, then live)', 'import into ACM us-east-1']);
  });

  it("stores a chain that verifies against pebble's root, with the matching key", async () => {
    const fullchain = (await aws.read('live/shop/fullchain.pem'))!;
    const cert = (await aws.read('live/shop/cert.pem'))!;
    const key = (await aws.read('live/shop/privkey.pem'))!;
    expect(chainVerifies(fullchain, [await pebbleRoot(stack)])).toBe(true);
    expect(keyMatchesCertificate(cert, key)).toBe(true);
    const info = parseCertificate(cert);
    expect(info.names).toEqual(domains);
    expect(info.keyAlgorithm).toBe('RSA 2048');
    // archive first, never overwritten: the same bytes under the serial
    expect(await aws.read(`archive/shop/${firstSerial}/cert.pem`)).toBe(cert);
    const metadata = JSON.parse((await aws.read('live/shop/metadata.json'))!) as Record<string, unknown>;
    expect(metadata).toMatchObject({ serial: firstSerial, fingerprintSha256: info.fingerprintSha256 });
  });

  it('puts the same certificate in ACM as in live/shop/cert.pem', async () => {
    const fromAcm = await aws.acm.send(new GetCertificateCommand({ CertificateArn: firstArn }));
    const live = parseCertificate((await aws.read('live/shop/cert.pem'))!);
    expect(new X509Certificate(fromAcm.Certificate!).fingerprint256.toLowerCase()).toBe(live.fingerprintSha256);
  });

  it('re-imports a new certificate into the same ARN and records the story', async () => {
    const result = await runCli(stack, ['issue', '--name', 'shop', ...domains.flatMap((d) => ['--domain', d])]);
    expect(result.code, result.stderr).toBe(0);
    const issued = eventOf(result, 'issued');
    expect(issued.acmArn).toBe(firstArn);
    expect(issued.serial).not.toBe(firstSerial);
    expect(result.events.some((e) => e.step === 're-import into ACM us-east-1 (same ARN)')).toBe(true);

    const fromAcm = await aws.acm.send(new GetCertificateCommand({ CertificateArn: firstArn }));
    expect(new X509Certificate(fromAcm.Certificate!).serialNumber.toLowerCase()).toBe(issued.serial);
    expect(await aws.read(`archive/shop/${firstSerial}/cert.pem`)).toBeDefined();

    const record = JSON.parse((await aws.read('renewal/shop.json'))!) as { state: string; history: { state: string }[]; acm: { certificateArn: string }[] };
    expect(record.state).toBe('active');
    expect(record.acm).toEqual([expect.objectContaining({ certificateArn: firstArn, serial: issued.serial })]);
    expect(record.history.map((h) => h.state)).toEqual(['pending', 'issuing', 'active', 'issuing', 'active']);
  });

  it('issues with an EC P-256 key when asked', async () => {
    const result = await runCli(stack, ['issue', '--name', 'ec', '--domain', 'ec.example.com', '--key-type', 'ec-p256']);
    expect(result.code, result.stderr).toBe(0);
    expect(eventOf(result, 'issued').keyAlgorithm).toBe('EC P-256');
  });

  it('issues when the first name is too long to be a CN (the CSR leaves the CN out)', async () => {
    const long = `${'l'.repeat(53)}.example.com`; // 65 bytes; Let's Encrypt refuses such a CN
    // moto's ACM cannot import a certificate without a CN, which is moto's gap, not ACM's.
    const result = await runCli(stack, ['issue', '--name', 'long-cn', '--domain', long, '--domain', 'short.example.com'], { ACM_IMPORT: 'false' });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(eventOf(result, 'issued').names).toEqual([long, 'short.example.com']);
  });
});

describe('bad input', () => {
  it.each([
    [['issue', '--name', 'wild', '--domain', '*.example.com'], 2, /wildcard names need DNS-01/],
    [['issue', '--name', 'Bad Name', '--domain', 'a.example.com'], 2, /certificate name "Bad Name" is not valid/],
    [['issue', '--name', 'nodomain'], 2, /no domain names given/],
    [['issue', '--domain', 'a.example.com'], 2, /issue needs --name NAME/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['issue', '--bogus'], 2, /Unknown option '--bogus'/],
    [['show', 'nothing-here'], 8, /no certificate named "nothing-here"/],
  ])('%j exits %i with a message that says what was wrong', async (args, code, message) => {
    const result = await runCli(stack, args);
    expect(result.code).toBe(code);
    expect(String(eventOf(result, 'error').message)).toMatch(message);
    expect(await aws.read('renewal/wild.json')).toBeUndefined();
  });

  it('names the variable when the configuration is wrong', async () => {
    const result = await runCli(stack, ['register'], { CERT_KEY_TYPE: 'dsa-1024' });
    expect(result.code).toBe(2);
    expect(String(eventOf(result, 'error').message)).toMatch(/CERT_KEY_TYPE="dsa-1024" is not valid; expected one of rsa-2048, ec-p256/);
  });
});

describe('the ACME conversation', () => {
  /** In process, against this file's pebble and moto: the account, as the CLI opens it. */
  async function accountInProcess() {
    // The SDK takes credentials from the process environment, as the CLI process gets them: the task role's.
    const credentials = stack.iam?.issuerEnv ?? stack.env;
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const) process.env[name] = credentials[name] ?? '';
    const config = parseIssuerConfig(stack.env);
    configureCaConnections(config.acmeTlsCaFile);
    const store = new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId });
    return ensureAccount(store, config, () => new Date());
  }

  /** The account, then one order for `names`. */
  async function orderInProcess(names: readonly string[]) {
    const account = await accountInProcess();
    const issued = await account.issuer.issue({ domains: names, keyType: 'ec-p256', profile: undefined, replaces: undefined }, (_title, run) => run());
    expect(parseCertificate(issued.fullchainPem).names).toEqual(names);
    return account.requests;
  }

  it('reuses the nonce of each response instead of asking newNonce before every request', async () => {
    const requests = await orderInProcess(['n1.nonce.example.com', 'n2.nonce.example.com', 'n3.nonce.example.com']);
    // Signed requests: account lookup, order, 3 authorizations, 3 challenges, at least one poll,
    // finalize, download. Only the first had no nonce from an earlier response to use, and the
    // three authorizations fetched at once share the one nonce the order answered with.
    expect(requests.reused).toBeGreaterThanOrEqual(7);
    expect(requests.fetched).toBeLessThanOrEqual(3);
  });

  it('keeps at most a few signed requests in flight, even for an order of many names', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `p${i}.pacing.example.com`);
    const requests = await orderInProcess(names);
    expect(requests.peakInFlight).toBe(MAX_SIGNED_REQUESTS_IN_FLIGHT);
    // Nonces: one batch of fresh ones for the first requests at most, every later one reused.
    expect(requests.fetched).toBeLessThanOrEqual(MAX_SIGNED_REQUESTS_IN_FLIGHT);
    expect(requests.reused).toBeGreaterThanOrEqual(2 * names.length - MAX_SIGNED_REQUESTS_IN_FLIGHT);
  });

  it('polls a pending order at a fixed interval, not a doubling one, and gives up at the timeout', async () => {
    await accountInProcess();
    // The client itself (the lifecycle sees only the port), on the account the issuer registered.
    const config = parseIssuerConfig(stack.env);
    const key = (await new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId }).get(layout.accountKey))!.body;
    const client = new AcmeClient({ directory: await fetchDirectory(config.directoryUrl), accountKey: createPrivateKey(key) });
    await client.findAccount();
    // Nobody answers this order's challenge: it stays pending.
    const order = await client.newOrder({ domains: ['pending.poll.example.com'] });
    const before = client.stats.reused + client.stats.fetched;
    const started = Date.now();
    await expect(waitForStatus(client, order.url, { intervalMs: 100, maxIntervalMs: 100, timeoutMs: 1000 })).rejects.toThrow(/is still pending after 1 s of polling every 100 ms/);
    const polls = client.stats.reused + client.stats.fetched - before;
    // Every 100 ms for a second: 10 polls and the first (a doubling schedule from 100 ms makes 4).
    expect(polls).toBeGreaterThanOrEqual(9);
    expect(polls).toBeLessThanOrEqual(11);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
