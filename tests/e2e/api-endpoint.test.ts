// The local stack as `just up` brings it up serves the certificate API on API_PORT: curl
// --aws-sigv4 with the stack's admin keys (moto enforcing IAM) declares a certificate (202) and
// starts the issuer task in moto, which the local task runner runs until the certificate is
// active in S3 and ACM; the status goes pending → issuing → active, the task held at its ACM
// import (a proxy in front of moto) until the test has seen `issuing`. The handler runs as the
// `api` role holding the template's policy for the API function's role: that role is refused
// what the template does not grant (a private key, the issuer's records), and without its
// ecs:RunTask statement the POST fails naming it. An unsigned request is refused (403).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImportCertificateCommand, ACMClient } from '@aws-sdk/client-acm';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvedPolicies, ROLE_NAMES } from '../../scripts/local/bootstrap-iam.js';
import type { LocalTask } from '../../scripts/local/task-definition.js';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { withoutAction, withoutStatementGranting } from '../support/iam.js';
import { freePort, startLocalStack, type LocalStack, type SessionEnv } from '../support/local-stack.js';

const run = promisify(execFile);
let stack: LocalStack;
/** In front of moto for the whole stack (the task's AWS_ENDPOINT_URL too): it can hold one request. */
let proxy: FaultProxy;
let url: string;
let sign: string[];
let api: SessionEnv;

beforeAll(async () => {
  const motoPort = await freePort();
  proxy = new FaultProxy(motoPort);
  await proxy.up();
  stack = await startLocalStack({ name: 'api-endpoint', extraEnv: { MOTO_PORT: String(motoPort), AWS_ENDPOINT_URL: proxy.endpoint } });
  url = `http://127.0.0.1:${stack.env.API_PORT}`;
  sign = ['--aws-sigv4', `aws:amz:${stack.env.AWS_REGION}:lambda`, '--user', `${stack.env.AWS_ACCESS_KEY_ID}:${stack.env.AWS_SECRET_ACCESS_KEY}`];
  api = stack.iam!.apiEnv!;
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.down();
});

const curl = async (args: string[]) => {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const lines = stdout.split('\n');
  return { status: lines.pop(), body: lines.join('\n') };
};
const post = (name: string) => curl([...sign, '-H', 'content-type: application/json', '--data', JSON.stringify({ name, domains: [`${name}.example.com`] }), `${url}/certificates`]);
const stateOf = async (name: string) => {
  const status = await curl([...sign, `${url}/certificates/${name}/status`]);
  expect(status.status, status.body).toBe('200');
  return (JSON.parse(status.body) as { state: string }).state;
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const record = async (name: string) => JSON.parse((await clientsFor(stack).read(`renewal/${name}.json`)) ?? 'null') as { serial: string; state: string; acm: { certificateArn: string; serial: string }[] } | null;
/** Polls until `done` holds (the task runs in its own process; nothing here waits in product code). */
async function until(what: string, done: () => Promise<boolean> | boolean, tries = 240): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await done()) return;
    await pause(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const s3As = (session: SessionEnv) =>
  new S3Client({
    region: stack.env.AWS_REGION!,
    endpoint: stack.env.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
    credentials: { accessKeyId: session.AWS_ACCESS_KEY_ID, secretAccessKey: session.AWS_SECRET_ACCESS_KEY, sessionToken: session.AWS_SESSION_TOKEN },
  });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'allowed',
    (error: { name?: string }) => error.name ?? JSON.stringify(error),
  );

describe('the API on the local stack', () => {
  it('answers a signed POST /certificates with 202; the task it starts goes pending → issuing → active, into S3 and ACM', async () => {
    // The task's first ACM import is held: the record says `issuing` from before the order until
    // the import and the record's `active` after it, so the test sees `issuing` whatever the timing.
    let release: (() => void) | undefined;
    proxy.holdOnMutating(
      (_line, received) => /x-amz-target: CertificateManager\.ImportCertificate/i.test(received),
      (_line, go) => (release = go),
    );
    const accepted = await post('shop');
    expect(accepted.status, accepted.body).toBe('202');
    expect(JSON.parse(accepted.body)).toMatchObject({ name: 'shop', statusUrl: `${url}/certificates/shop/status` });
    expect(JSON.parse((await clientsFor(stack).read('declared/shop.json'))!)).toMatchObject({ name: 'shop', owner: expect.stringMatching(/^arn:aws:iam::\d{12}:user\/local-admin$/) });
    // Nobody runs the CLI: the task the API started runs through the local task runner.
    const seen: string[] = [];
    const observe = async () => {
      const state = await stateOf('shop');
      if (seen.at(-1) !== state) seen.push(state);
      return state;
    };
    try {
      await until('the task to reach its ACM import', async () => (await observe(), release !== undefined));
      expect(await observe()).toBe('issuing');
    } finally {
      release?.();
      proxy.holdOnMutating(undefined);
    }
    await until('the certificate to be active', async () => (await observe()) === 'active');
    // pending only when the poll came before the task wrote its record (it may start quicker)
    expect(seen).toEqual(seen[0] === 'pending' ? ['pending', 'issuing', 'active'] : ['issuing', 'active']);
    const issued = (await record('shop'))!;
    expect(await clientsFor(stack).read('live/shop/metadata.json')).toContain(issued.serial);
    expect(issued.acm[0]).toMatchObject({ serial: issued.serial, certificateArn: expect.stringMatching(/^arn:aws:acm:/) });
    // the detail, read by the handler as the api role: the public chain, never a key
    const detail = await curl([...sign, `${url}/certificates/shop`]);
    expect(detail.status, detail.body).toBe('200');
    expect((JSON.parse(detail.body) as { chain: string }).chain).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(detail.body).not.toMatch(/PRIVATE KEY/);
  }, 300_000);

  it("runs the handler as the api role, which holds exactly the template's policy for the API function's role", async () => {
    const iam = new IAMClient({ region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) });
    const held = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE_NAMES.api, PolicyName: 'template' }));
    const document = JSON.parse(decodeURIComponent(held.PolicyDocument!)) as { Statement: unknown[] };
    expect(document).toEqual(resolvedPolicies(stack.iam!.policies, stack.iam!.state.local).api!.document);
    expect(document.Statement).toHaveLength(stack.iam!.policies.api!.statements.length);
    const text = JSON.stringify(document);
    expect(text).not.toMatch(/"(Ref|Fn::\w+)"/);
    // RunTask on the task definition bootstrap-ecs.ts registered, on its cluster
    const task = JSON.parse(readFileSync(join(stack.stateDir, 'run', 'task.json'), 'utf8')) as LocalTask;
    expect(text).toContain(`"Resource":"${task.taskDefinitionArn}"`);
    expect(text).toContain(`"ecs:cluster":"${task.clusterArn}"`);
    // the session run/api.env holds is the one the endpoint runs the handler with
    expect(readFileSync(join(stack.stateDir, 'run', 'api.env'), 'utf8')).toContain(`AWS_ACCESS_KEY_ID='${api.AWS_ACCESS_KEY_ID}'`);
  });

  it('the api role is refused, by moto, what the template does not grant: a private key, the issuer records, ACM', async () => {
    const aws = clientsFor(stack);
    const s3 = s3As(api);
    const get = (key: string) => refusal(s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key })));
    expect(await aws.read('live/shop/privkey.pem')).toMatch(/PRIVATE KEY/); // there, for the admin
    expect(await get('live/shop/privkey.pem')).toBe('AccessDenied');
    expect(await get('live/shop/bundle.json')).toBe('AccessDenied');
    expect(await get('account/key.pem')).toBe('AccessDenied');
    expect(await get('live/shop/fullchain.pem')).toBe('allowed');
    expect(await get('renewal/shop.json')).toBe('allowed');
    expect(await refusal(s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'renewal/shop.json', Body: '{}' })))).toBe('AccessDenied');
    expect(await refusal(s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'live/shop/metadata.json', Body: '{}' })))).toBe('AccessDenied');
    expect(await refusal(s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'declared/probe.json', Body: '{}' })))).toBe('allowed');
    expect(await refusal(s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: 'declared/probe.json' })))).toBe('allowed');
    const acm = new ACMClient({
      region: stack.env.AWS_REGION!,
      endpoint: stack.env.AWS_ENDPOINT_URL!,
      credentials: { accessKeyId: api.AWS_ACCESS_KEY_ID, secretAccessKey: api.AWS_SECRET_ACCESS_KEY, sessionToken: api.AWS_SESSION_TOKEN },
    });
    const pem = (await aws.read('live/shop/cert.pem'))!;
    expect(await refusal(acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(pem), PrivateKey: Buffer.from('x') })))).toBe('AccessDeniedException');
    expect(JSON.parse((await aws.read('renewal/shop.json'))!)).toMatchObject({ name: 'shop' }); // untouched
  });

  it("without s3:GetObject on renewal/ in the api role a read is the deployment's 500 naming the denial, not the caller's 403", async () => {
    await stack.iam!.apply({ edit: { api: withoutAction('s3:GetObject', 'renewal/') } });
    let refused: Awaited<ReturnType<typeof curl>>;
    try {
      refused = await curl([...sign, `${url}/certificates/shop`]);
    } finally {
      await stack.iam!.apply();
    }
    expect(refused.status, refused.body).toBe('500');
    const problem = JSON.parse(refused.body) as { code: string; detail: string };
    expect(problem.code).toBe('ERR_CONFIG_INVALID');
    // moto's S3 names no principal in its AccessDenied (AWS's does); the action and the object are named.
    expect(problem.detail).toMatch(/AWS denied s3:GetObject on arn:aws:s3:::\S+\/renewal\/shop\.json/);
    expect((await curl([...sign, `${url}/certificates/shop`])).status).toBe('200');
  }, 60_000);

  it('without ecs:RunTask in the api role POST /certificates fails naming the action, the task definition and the role; with it back it is accepted', async () => {
    const task = JSON.parse(readFileSync(join(stack.stateDir, 'run', 'task.json'), 'utf8')) as LocalTask;
    await stack.iam!.apply({ edit: { api: withoutAction('ecs:RunTask') } });
    let refused: Awaited<ReturnType<typeof curl>>;
    try {
      refused = await post('norun');
    } finally {
      await stack.iam!.apply();
    }
    // The API's own role was refused, not the caller: the task was not started (502), never the caller's 403.
    expect(refused.status, refused.body).toBe('502');
    const problem = JSON.parse(refused.body) as { code: string; detail: string; hint: string };
    expect(problem.code).toBe('ERR_TASK_NOT_STARTED');
    expect(problem.detail).toBe(
      `could not start the issuer task (renew norun): AWS denied ecs:RunTask on ${task.taskDefinitionArn} to arn:aws:sts::${stack.iam!.state.account}:assumed-role/${ROLE_NAMES.api}/api (AccessDeniedException)`,
    );
    expect(problem.hint).toMatch(/^grant ecs:RunTask on \S+ to the API function's role \(granted by the stack in lib\/constructs\/api\.ts\)/);
    // declared first (the next scheduled renew would pick it up), no task
    expect(await clientsFor(stack).read('declared/norun.json')).toBeDefined();
    expect(await record('norun')).toBeNull();
    const accepted = await post('norun');
    expect(accepted.status, accepted.body).toBe('202');
    await until('norun to be active', async () => (await stateOf('norun')) === 'active');
  }, 120_000);

  it('what moto does not check: iam:PassRole (RunTask passes the task role); without it the POST is still accepted here, as AWS would not', async () => {
    const before = (await record('shop'))!.serial;
    await stack.iam!.apply({ edit: { api: withoutStatementGranting('iam:PassRole') } });
    let accepted: Awaited<ReturnType<typeof curl>>;
    try {
      accepted = await curl([...sign, '-X', 'POST', `${url}/certificates/shop/renew`]);
    } finally {
      await stack.iam!.apply();
    }
    expect(accepted.status, accepted.body).toBe('202');
    await until('the forced renewal of shop', async () => (await record('shop'))!.serial !== before && (await stateOf('shop')) === 'active');
  }, 120_000);

  it('refuses an unsigned request with 403 and declares nothing', async () => {
    const unsigned = await curl(['-H', 'content-type: application/json', '--data', JSON.stringify({ name: 'other', domains: ['other.example.com'] }), `${url}/certificates`]);
    expect(unsigned.status).toBe('403');
    expect(await clientsFor(stack).read('declared/other.json')).toBeUndefined();
  });
});
