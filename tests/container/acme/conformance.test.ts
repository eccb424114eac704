// Our ACME client (container/acme/client.ts) against real pebbles in -strict mode, on Debian's
// pebble 2.4 and a current one (ARI, profiles): nonces rejected at 30%, validation sleeps on,
// authorization reuse on. Every order is validated through the real responder, which answers with
// the thumbprint of the account JWK the issuer published; each problem type we map is provoked
// for real and read back as the error the user gets.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAccount } from '../../../container/acme/account.js';
import { AcmeClient } from '../../../container/acme/client.js';
import { certIdOf, fetchDirectory } from '../../../container/acme/directory.js';
import { caError } from '../../../container/acme/errors.js';
import { AcmeIssuer } from '../../../container/acme/issuer.js';
import { AcmeProblem } from '../../../container/acme/problem.js';
import { configureCaConnections } from '../../../container/acme/tls.js';
import { S3ObjectStore } from '../../../lib/store/s3-object-store.js';
import { layout, parseCertificate, parseIssuerConfig, pollSchedule } from '../../../lib/core/index.js';
import { repoRoot, startLocalStack, type LocalStack } from '../../support/local-stack.js';

const PEBBLES = [
  { name: 'pebble 2.4 (Debian)', bin: 'pebble', current: false },
  { name: 'current pebble', bin: `${repoRoot}/.local/bin/pebble-current`, current: true },
] as const;

const ecKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const run = <T>(_title: string, step: () => Promise<T>) => step();

/** The problem a call was refused with (fails the test when it was not refused with one). */
async function problemOf(call: Promise<unknown>): Promise<AcmeProblem> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(AcmeProblem);
  return outcome as AcmeProblem;
}

describe.each(PEBBLES)('$name, -strict, 30% of nonces rejected, validation sleeps, authorization reuse', (pebble) => {
  let stack: LocalStack;
  let client: AcmeClient;
  let issuer: AcmeIssuer;
  let directoryUrl: string;
  const trace: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      name: pebble.current ? 'conformance-current' : 'conformance-24',
      pebbleEnv: { PEBBLE_WFE_NONCEREJECT: '30', PEBBLE_VA_NOSLEEP: '0', PEBBLE_AUTHZREUSE: '100', PEBBLE_STRICT: 'true', PEBBLE_BIN: pebble.bin },
      // moto's ACM needs a subject CN, which a current pebble no longer sets; nothing here imports.
      extraEnv: { ACM_IMPORT: 'false' },
    });
    // The issuer's own account (published JWK, so the responder answers for it), opened in process.
    const credentials = stack.iam?.issuerEnv ?? stack.env;
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const) process.env[name] = credentials[name] ?? '';
    const config = parseIssuerConfig(stack.env);
    directoryUrl = config.directoryUrl;
    configureCaConnections(config.acmeTlsCaFile);
    const store = new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId });
    await ensureAccount(store, config, () => new Date());
    const key = createPrivateKey((await store.get(layout.accountKey))!.body);
    client = new AcmeClient({ directory: await fetchDirectory(directoryUrl), accountKey: key, trace: (line) => trace.push(line) });
    expect(await client.findAccount()).toBeDefined();
    issuer = new AcmeIssuer(client, pollSchedule(50));
  }, 120_000);
  afterAll(async () => stack?.stop());

  let issued: string;
  it("issues for two names, validated through the responder after pebble's sleep", async () => {
    const names = ['a.conformance.example.com', 'b.conformance.example.com'];
    const certificate = await issuer.issue({ domains: names, keyType: 'ec-p256', profile: undefined, replaces: undefined }, run);
    expect(parseCertificate(certificate.fullchainPem).names).toEqual(names);
    issued = certificate.fullchainPem;
  }, 120_000);

  it("finds the names' authorizations already valid in the next order (authorization reuse)", async () => {
    const order = await client.newOrder({ domains: ['a.conformance.example.com'] });
    const authz = await client.fetch<{ status: string }>(order.body.authorizations[0]!);
    expect(authz.body.status).toBe('valid');
  });

  it('answers accountDoesNotExist for an unknown key as "no account"', async () => {
    const stranger = new AcmeClient({ directory: await fetchDirectory(directoryUrl), accountKey: ecKey() });
    expect(await stranger.findAccount()).toBeUndefined();
  });

  it("maps rejectedIdentifier / malformed for a name the CA refuses, with the step and the CA's words", async () => {
    const problem = await problemOf(client.newOrder({ domains: ['under_score..example.com'] }));
    expect(['rejectedIdentifier', 'malformed']).toContain(problem.kind);
    const error = caError('creating the order', problem);
    expect(error.code).toBe('ERR_ORDER_FAILED');
    expect(error.message).toMatch(new RegExp(`^creating the order: the CA answered: .+ \\(${problem.kind}, HTTP 400\\)`));
  });

  it("maps unauthorized when another account reads this account's order", async () => {
    const order = await client.newOrder({ domains: ['c.conformance.example.com'] });
    const other = new AcmeClient({ directory: await fetchDirectory(directoryUrl), accountKey: ecKey() });
    await other.createAccount([]);
    const problem = await problemOf(other.fetch(order.url));
    expect(problem.kind).toBe('unauthorized');
    expect(caError('fetching the order', problem).hint).toMatch(/refused this account/);
  });

  it('revokes with the account key, and maps alreadyRevoked for a second revocation', async () => {
    await issuer.revoke(issued, 4);
    const problem = await problemOf(client.revoke(issued, 4));
    expect(problem.kind).toBe('alreadyRevoked');
    expect(caError('revoking the certificate', problem).hint).toMatch(/revoked already/);
  });

  it('changes the account key (§7.3.5): the new key finds the account, the old one does not', async () => {
    const directory = await fetchDirectory(directoryUrl);
    const own = new AcmeClient({ directory, accountKey: ecKey() });
    const created = await own.createAccount(['mailto:keychange@example.com']);
    const newKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await own.changeKey(newKey);
    expect((await new AcmeClient({ directory, accountKey: newKey }).findAccount())?.url).toBe(created.url);
    // Signed with the new key (RS256 now) after the change.
    expect((await own.updateAccount(['mailto:changed@example.com'])).body.contact).toEqual(['mailto:changed@example.com']);
  });

  it('deactivates an account (§7.3.6), after which the CA refuses it', async () => {
    const own = new AcmeClient({ directory: await fetchDirectory(directoryUrl), accountKey: ecKey() });
    await own.createAccount([]);
    expect((await own.deactivateAccount()).body.status).toBe('deactivated');
    const problem = await problemOf(own.newOrder({ domains: ['d.conformance.example.com'] }));
    expect(problem.kind).toBe('unauthorized');
  });

  it.runIf(pebble.current)('orders with a profile, refuses one the CA does not offer (invalidProfile), and reads ARI', async () => {
    const directory = await fetchDirectory(directoryUrl);
    const [profile] = Object.keys(directory.profiles);
    expect(profile).toBeDefined();
    const order = await client.newOrder({ domains: ['e.conformance.example.com'], profile });
    expect(order.body.profile).toBe(profile);
    const problem = await problemOf(client.newOrder({ domains: ['e.conformance.example.com'], profile: 'no-such-profile' }));
    expect(problem.kind).toBe('invalidProfile');
    expect(caError('creating the order', problem).hint).toMatch(/ACME_PROFILE/);
    const info = await client.renewalInfo(issued, new Date());
    expect(info?.window.end.getTime()).toBeGreaterThan(info!.window.start.getTime());
  });

  it.runIf(pebble.current)(
    'orders with `replaces`, and maps alreadyReplaced for a second replacement',
    async () => {
      const names = ['f.conformance.example.com'];
      const first = await issuer.issue({ domains: names, keyType: 'ec-p256', profile: undefined, replaces: undefined }, run);
      const replaces = certIdOf(first.fullchainPem)!;
      await issuer.issue({ domains: names, keyType: 'ec-p256', profile: undefined, replaces }, run);
      const problem = await problemOf(client.newOrder({ domains: names, replaces }));
      expect(problem.kind).toBe('alreadyReplaced');
      // The lifecycle orders without `replaces` instead of failing the renewal.
      const refused: string[] = [];
      await issuer.issue({ domains: names, keyType: 'ec-p256', profile: undefined, replaces }, run, { onReplacesRefused: (detail) => refused.push(detail) });
      expect(refused).toHaveLength(1);
    },
    180_000,
  );

  it('got every request through although the CA rejected nonces along the way (badNonce retried)', () => {
    const rejected = trace.filter((line) => / -> 400 /.test(line)).length;
    expect(rejected).toBeGreaterThan(0);
    expect(client.stats.reused).toBeGreaterThan(client.stats.fetched);
  });
});
