// `rollover` end to end: the real CLI process against real pebble (which checks every HTTP-01
// answer against the account key it holds at that moment) through the real responder, and moto
// enforcing IAM. The key changes at the CA, the account URL does not, and orders validate with
// the new key afterwards.
import { createPrivateKey } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient } from '../../container/acme/client.js';
import { fetchDirectory } from '../../container/acme/directory.js';
import { publicJwkOf } from '../../container/acme/keys.js';
import { configureCaConnections } from '../../container/acme/tls.js';
import { jwkThumbprint, parsePublishedJwk } from '../../lib/core/index.js';
import { clientsFor, readObject } from '../support/aws.js';
import { asAdmin, eventOf, runCli, startLocalStack, type LocalStack, type SessionEnv } from '../support/local-stack.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
const ISSUE = ['issue', '--name', 'roll', '--domain', 'roll.example.com', '--domain', 'www.roll.example.com'];

beforeAll(async () => {
  // a short responder cache, so the rollover waits seconds, not the default five minutes
  stack = await startLocalStack({ name: 'rollover', extraEnv: { JWK_REFRESH_SECONDS: '1' } });
  aws = clientsFor(stack);
  configureCaConnections(stack.env.ACME_TLS_CA_FILE);
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
}, 180_000);
afterAll(async () => stack?.stop());

function sessionOf(env: SessionEnv) {
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
}

interface Registration {
  thumbprint: string;
  accounts: Record<string, { accountUrl: string; thumbprint?: string }>;
}

/** The account URL the CA gives this key, or undefined when the CA knows no account for it. */
async function accountAtCa(directoryUrl: string, keyPem: string): Promise<string | undefined> {
  const client = new AcmeClient({ directory: await fetchDirectory(directoryUrl), accountKey: createPrivateKey(keyPem) });
  return (await client.findAccount()) === undefined ? undefined : client.accountUrl;
}

describe('rollover', () => {
  it('changes the key at the CA, keeps the account URL, and later orders validate with the new key', async () => {
    const directory = stack.env.ACME_DIRECTORY!;
    const first = await runCli(stack, ISSUE);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const oldKey = (await aws.read('account/key.pem'))!;
    const before = JSON.parse((await aws.read('account/registration.json'))!) as Registration;
    const accountUrl = before.accounts[directory]!.accountUrl;

    const rolled = await runCli(stack, ['rollover']);
    expect(rolled.code, rolled.stderr + rolled.stdout).toBe(0);
    const result = eventOf(rolled, 'rolled over');
    expect(result.previousThumbprint).toBe(before.thumbprint);
    expect(result.thumbprint).not.toBe(before.thumbprint);
    const steps = rolled.events.filter((e) => e.event === 'step').map((e) => e.step);
    expect(steps).toEqual(expect.arrayContaining(['next account key', 'publish it beside the current key', 'wait until every responder has the next key', 'retire the old key']));

    // S3: key.pem is the new key, jwk.json names it alone, registration.json the same account
    const newKey = (await aws.read('account/key.pem'))!;
    expect(newKey).not.toBe(oldKey);
    const published = parsePublishedJwk((await aws.read('account/jwk.json'))!);
    expect(published.next).toBeUndefined();
    expect(await jwkThumbprint(published.current)).toBe(await jwkThumbprint(publicJwkOf(newKey)));
    expect(await jwkThumbprint(published.current)).toBe(result.thumbprint);
    const after = JSON.parse((await aws.read('account/registration.json'))!) as Registration;
    expect(after.thumbprint).toBe(result.thumbprint);
    expect(after.accounts[directory]!.accountUrl).toBe(accountUrl);

    // the CA: the new key finds the same account, the old one none
    expect(await accountAtCa(directory, newKey)).toBe(accountUrl);
    expect(await accountAtCa(directory, oldKey)).toBeUndefined();

    // the responder's role (moto enforces IAM) reads the public JWK and no private key, next or current
    const responder = new S3Client({ region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, forcePathStyle: true, credentials: sessionOf(stack.iam!.responderEnv) });
    expect(await readObject(responder, aws.bucket, 'account/jwk.json')).toBeDefined();
    for (const key of ['account/next-key.pem', 'account/key.pem']) {
      await expect(readObject(responder, aws.bucket, key), key).rejects.toMatchObject({ name: 'AccessDenied' });
    }

    // pebble (PEBBLE_AUTHZREUSE=0) validates every name again, against the new key
    const second = await runCli(stack, ISSUE);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(eventOf(second, 'issued').serial).not.toBe(eventOf(first, 'issued').serial);
    expect(String(stack.responderLog())).not.toContain('answering 503');
  }, 300_000);

  it('refuses without an account, naming what to run, and writes nothing', async () => {
    // an empty bucket beside the stack's (the task role may not reach it: the admin runs this one)
    const Bucket = `${stack.env.CERT_BUCKET!}-none`;
    await aws.s3.send(new CreateBucketCommand({ Bucket }));
    const result = await runCli(stack, ['rollover'], { CERT_BUCKET: Bucket, ...asAdmin(stack) });
    expect(result.code, result.stdout + result.stderr).toBe(8);
    expect(eventOf(result, 'error')).toMatchObject({ code: 'ERR_NOT_FOUND', hint: 'run `register` first' });
    expect((await aws.s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount ?? 0).toBe(0);
  }, 120_000);
});
