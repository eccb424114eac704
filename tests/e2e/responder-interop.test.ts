// The responder answers any ACME client whose account JWK is published, not only ours: acme-client
// (an independent implementation, through its public API only) registers its own key at pebble,
// the key's public JWK is put where the issuer puts it, and the order is validated through the
// real responder with nothing set up per challenge. This is why acme-client stays a devDependency.
import { Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountJwkText, publicJwkOf } from '../../container/acme/keys.js';
import { S3ObjectStore } from '../../lib/store/s3-object-store.js';
import { layout, parseCertificate, parseIssuerConfig } from '../../lib/core/index.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ name: 'interop' });
});
afterAll(async () => stack?.stop());

describe('acme-client as the ACME client', () => {
  it('gets a certificate validated by our responder once its account JWK is published', async () => {
    const credentials = stack.iam?.issuerEnv ?? stack.env;
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const) process.env[name] = credentials[name] ?? '';
    const config = parseIssuerConfig(stack.env);
    const accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
    await new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId }).put(layout.accountJwk, accountJwkText(publicJwkOf(accountKey)));

    acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(config.acmeTlsCaFile!, 'utf8') });
    const client = new acme.Client({ directoryUrl: config.directoryUrl, accountKey });
    const names = ['interop.example.com', 'www.interop.example.com'];
    const [, csr] = await acme.crypto.createCsr({ altNames: names });
    let challengesCreated = 0;
    const chain = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client would first fetch the answer itself, through DNS this machine does not have; pebble's check is the one that counts.
      skipChallengeVerification: true,
      // Nothing to put anywhere: the responder derives every answer from the published JWK.
      challengeCreateFn: () => Promise.resolve(void (challengesCreated += 1)),
      challengeRemoveFn: () => Promise.resolve(undefined),
    });
    expect([...parseCertificate(chain).names].sort()).toEqual([...names].sort());
    expect(challengesCreated).toBe(names.length);
  }, 120_000);
});
