// The local function URL (scripts/local/api-endpoint.ts) on moto over HTTP: a request signed with
// SigV4 by the SDK's signer, and one by curl --aws-sigv4 itself, reach the real handler with the
// signer's IAM identity as STS reports it; unsigned, wrongly signed or unknown-key requests get
// the function URL's 403 and reach nothing. Ownership follows the signer.
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFromEnv, createHandler } from '../../lambdas/api/handler.js';
import { startApiEndpoint, stsIdentity, type ApiEndpoint } from '../../scripts/local/api-endpoint.js';
import type { KnownKey } from '../../scripts/local/sigv4-verifier.js';
import { startMotoEcs, type MotoEcs } from '../support/moto-ecs.js';

const run = promisify(execFile);
let moto: MotoEcs;
let endpoint: ApiEndpoint;
const users: Record<'alice' | 'carol', KnownKey & { arn: string }> = {} as never;

class Sha256 implements Checksum {
  private hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {}
}

beforeAll(async () => {
  moto = await startMotoEcs('endpoint');
  const settings = { region: 'us-east-1', endpoint: moto.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const iam = new IAMClient(settings);
  for (const name of ['alice', 'carol'] as const) {
    const user = (await iam.send(new CreateUserCommand({ UserName: name }))).User!;
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    users[name] = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, arn: user.Arn! };
  }
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  const api = apiFromEnv(moto.env);
  const known = Object.values(users);
  endpoint = await startApiEndpoint({
    port: 0,
    region: 'us-east-1',
    keys: (id) => Promise.resolve(known.find((k) => k.accessKeyId === id)),
    identity: stsIdentity(moto.env),
    handler: createHandler(() => api),
  });
}, 180_000);

afterAll(async () => {
  await endpoint?.close();
  await moto?.stop();
});

/** A request signed as `curl --aws-sigv4 "aws:amz:us-east-1:lambda"` signs it, with the SDK's signer. */
async function signed(method: string, path: string, key: KnownKey, body?: string): Promise<Response> {
  const url = new URL(path, endpoint.url);
  const headers: Record<string, string> = { host: url.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'lambda', sha256: Sha256 });
  const request = await signer.sign({ method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers, body: body ?? '' });
  return fetch(url, { method, headers: request.headers, ...(body === undefined ? {} : { body }) });
}

const declared = async (name: string) =>
  moto.s3.send(new GetObjectCommand({ Bucket: moto.env.CERT_BUCKET, Key: `declared/${name}.json` })).then(
    async (o) => JSON.parse(await o.Body!.transformToString()) as Record<string, unknown>,
    () => undefined,
  );

describe('the local API endpoint', () => {
  it('takes a SigV4-signed POST /certificates (202) with the signer as owner, and RunTask recorded', async () => {
    const response = await signed('POST', '/certificates', users.alice, JSON.stringify({ name: 'shop', domains: ['shop.example.com'] }));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { statusUrl: string };
    expect(body.statusUrl).toBe(`${endpoint.url}/certificates/shop/status`);
    expect(response.headers.get('location')).toBe(body.statusUrl);
    expect(await declared('shop')).toMatchObject({ owner: users.alice.arn });
    const tasks = await moto.tasks();
    expect(tasks.map((t) => t.overrides?.containerOverrides?.[0]?.command)).toContainEqual(['renew', 'shop']);
  });

  it('answers curl --aws-sigv4 itself', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--aws-sigv4',
      'aws:amz:us-east-1:lambda',
      '--user',
      `${users.carol.accessKeyId}:${users.carol.secretAccessKey}`,
      '-w',
      '\n%{http_code}',
      `${endpoint.url}/certificates/shop/status`,
    ]);
    const [json, status] = stdout.split('\n');
    expect(status).toBe('200');
    expect(JSON.parse(json!)).toEqual({ name: 'shop', state: 'pending' });
  });

  it.each([
    ['unsigned', () => fetch(`${endpoint.url}/certificates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'unsigned', domains: ['u.example.com'] }) })],
    ['signed with a wrong secret', () => signed('POST', '/certificates', { ...users.alice, secretAccessKey: 'not-the-secret' }, JSON.stringify({ name: 'wrong', domains: ['w.example.com'] }))],
    ['signed by a key nobody knows', () => signed('POST', '/certificates', { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }, JSON.stringify({ name: 'unknown', domains: ['k.example.com'] }))],
  ])('refuses a request %s with 403, as a function URL does, and nothing is declared', async (_label, send) => {
    const before = (await moto.tasks()).length;
    const response = await send();
    expect(response.status).toBe(403);
    expect(((await response.json()) as { Message: string }).Message).toMatch(/^Forbidden/);
    expect(await declared('unsigned')).toBeUndefined();
    expect(await declared('wrong')).toBeUndefined();
    expect(await declared('unknown')).toBeUndefined();
    expect(await moto.tasks()).toHaveLength(before);
  });

  it('a body changed after signing is refused', async () => {
    const url = new URL('/certificates', endpoint.url);
    const body = JSON.stringify({ name: 'tampered', domains: ['t.example.com'] });
    const signer = new SignatureV4({ credentials: users.alice, region: 'us-east-1', service: 'lambda', sha256: Sha256 });
    const request = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host }, body });
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: body.replace('tampered', 'tampere2') });
    expect(response.status).toBe(403);
  });

  it("refuses another principal's DELETE (403 problem) and takes the owner's", async () => {
    const refused = await signed('DELETE', '/certificates/shop', users.carol);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('ERR_ACCESS_DENIED');
    expect(await declared('shop')).toBeDefined();
    const accepted = await signed('DELETE', '/certificates/shop', users.alice);
    expect(accepted.status).toBe(202);
    expect(await declared('shop')).toBeUndefined();
  });
});
