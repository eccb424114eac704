// The API handler against its OpenAPI document: the same routes, codes and enums, and every answer
// to a function URL event (payload 2.0, as Lambda hands it over) documented for its operation and
// status and of the documented schema. Errors are RFC 9457 problem documents with our codes. The
// handler runs on moto over HTTP (S3 and ECS): declarations written, RunTask recorded with its
// command, ownership enforced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFromEnv, createHandler, type ApiHandler } from '../../../lambdas/api/handler.js';
import { mayChange } from '../../../lambdas/api/identity.js';
import { PROBLEMS, problemType } from '../../../lambdas/api/problem.js';
import { ROUTES } from '../../../lambdas/api/routes.js';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CERTIFICATE_STATES, EXPORT_KINDS, KEY_TYPES, KNOWN_DIRECTORIES, isValidCertName } from '../../../lib/core/index.js';
import { renewalRecordShape, shapeProblem } from '../../../lib/core/stored-shapes.js';
import { ALICE, CAROL, DAVE, DOMAIN, PLATFORM_ROLE, functionUrlEvent } from '../../support/function-url-events.js';
import { resolve, schemaProblems } from '../../support/json-schema.js';
import { repoRoot } from '../../support/local-stack.js';
import { startMotoEcs, type MotoEcs } from '../../support/moto-ecs.js';

type Schema = Record<string, unknown>;
const openapi = JSON.parse(readFileSync(join(repoRoot, 'lambdas/api/openapi.json'), 'utf8')) as Schema & { paths: Record<string, Record<string, Schema>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const schema = (name: string) => resolve(openapi, `#/components/schemas/${name}`);

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

let moto: MotoEcs;
let handler: ApiHandler;

beforeAll(async () => {
  moto = await startMotoEcs('api');
  // The SDK's default credential chain, as in Lambda (there: the function's role).
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  const api = apiFromEnv({ ...moto.env, API_ADMINS: PLATFORM_ROLE });
  handler = createHandler(() => api);
}, 180_000);

afterAll(async () => {
  await moto?.stop();
});

async function send(method: string, path: string, options: { body?: string; caller?: string | undefined } = {}): Promise<Answer> {
  const result = (await handler(functionUrlEvent(method, path, options))) as Exclude<LambdaFunctionURLResult, string>;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { status: result.statusCode ?? 200, headers, body: JSON.parse(result.body ?? 'null') as unknown };
}

/** The response the document gives for this operation and status, and the schema of its body. */
function documented(method: string, template: string, answer: Answer): string[] {
  const operation = openapi.paths[template]?.[method.toLowerCase()] as { responses: Record<string, Schema> } | undefined;
  if (operation === undefined) return [`${method} ${template} is not in openapi.json`];
  let response = operation.responses[String(answer.status)];
  if (response === undefined) return [`${method} ${template} does not document ${answer.status}`];
  if (typeof response.$ref === 'string') response = resolve(openapi, response.$ref);
  const content = response.content as Record<string, { schema: Schema }>;
  const type = answer.headers['content-type'] ?? '';
  if (content[type] === undefined) return [`${answer.status} is documented as ${Object.keys(content).join(', ')}, answered as ${type}`];
  return schemaProblems(openapi, content[type].schema, answer.body);
}

function expectProblem(answer: Answer, code: string, instance: string): void {
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(schemaProblems(openapi, schema('Problem'), answer.body)).toEqual([]);
  expect(answer.body).toMatchObject({ type: problemType(code as never), code, status: answer.status, instance, title: PROBLEMS[code as keyof typeof PROBLEMS].title });
  expect(answer.status).toBe(PROBLEMS[code as keyof typeof PROBLEMS].status);
}

describe('openapi.json and the handler describe the same API', () => {
  it('has the routes the handler dispatches on, by method, path and operation', () => {
    const inDocument = Object.entries(openapi.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, operation]) => `${method.toUpperCase()} ${path} ${String(operation.operationId)}`),
    );
    expect(inDocument.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.operation}`).sort());
  });

  it('lists every problem code the handler can answer with, and the state, key type and export names of the core', () => {
    expect((schema('Problem').properties as Record<string, Schema>).code!.enum).toEqual(Object.keys(PROBLEMS));
    expect(schema('State').enum).toEqual([...CERTIFICATE_STATES]);
    expect(schema('KeyType').enum).toEqual([...KEY_TYPES]);
    expect(((schema('CertificateRequest').properties as Record<string, Schema>).exports!.items as Schema).enum).toEqual([...EXPORT_KINDS]);
  });

  it('documents the certificate name as the core checks it', () => {
    const pattern = new RegExp(schema('CertificateName').pattern as string, 'u');
    for (const name of ['shop', 'www-example-com', 'a', 'a.b_c-d', 'x'.repeat(64), 'Shop', '-shop', 'shop-', 'x'.repeat(65), 'a/b', '']) {
      expect(pattern.test(name), name).toBe(isValidCertName(name));
    }
  });

  it.each(ROUTES.map((r) => [r.method, r.path] as const))('answers %s %s as documented', async (method, template) => {
    // Its own certificate per route, requested first, so every operation answers its success.
    const name = `doc-${ROUTES.findIndex((r) => r.method === method && r.path === template)}`;
    const request = JSON.stringify({ name, domains: [`${name}.example.com`] });
    if (template !== '/certificates' || method !== 'POST') expect((await send('POST', '/certificates', { body: request })).status).toBe(202);
    const answer = await send(method, template.replace('{name}', name), { body: method === 'POST' && template === '/certificates' ? request : undefined });
    expect(answer.status).toBeLessThan(300);
    expect(documented(method, template, answer)).toEqual([]);
  });
});

describe('requests the handler refuses', () => {
  it('refuses a request without an IAM identity (403), whatever the route', async () => {
    for (const [method, path] of [
      ['GET', '/health'],
      ['DELETE', '/certificates/shop'],
      ['GET', '/nowhere'],
    ] as const) {
      const answer = await send(method, path, { caller: undefined });
      expectProblem(answer, 'ERR_ACCESS_DENIED', path);
      expect((answer.body as { hint: string }).hint).toMatch(/--aws-sigv4/);
    }
  });

  it('answers 404 for a path that is not a route and 405 with Allow for a method the path does not take', async () => {
    expectProblem(await send('GET', '/certificate'), 'ERR_NOT_FOUND', '/certificate');
    const answer = await send('PUT', '/certificates/shop');
    expectProblem(answer, 'ERR_METHOD_NOT_ALLOWED', '/certificates/shop');
    expect(answer.headers.allow).toBe('GET, DELETE');
    expect(documented('DELETE', '/certificates/{name}', await send('DELETE', '/certificates/shop/'))).toEqual([]);
  });

  it('refuses a certificate name that cannot be one (400), naming it', async () => {
    const answer = await send('GET', '/certificates/Shop%2F..%2Faccount');
    expectProblem(answer, 'ERR_BAD_INPUT', '/certificates/Shop%2F..%2Faccount');
    expect((answer.body as { detail: string }).detail).toBe('certificate name "Shop/../account" is not valid');
  });

  it.each([
    ['not JSON', '{"name":', 'the request body is not JSON'],
    ['no domains', '{"name":"shop"}', 'the request body does not fit: field domains: expected a non-empty array, it is missing'],
    ['a number for a name', '{"name":7,"domains":["a.example.com"]}', 'the request body does not fit: field name: expected a non-empty string, got number 7'],
    [
      'bad values',
      '{"name":"shop","domains":["*.shop.example.com"],"keyType":"rsa-1024","exports":["ftp"]}',
      /^declaration of "shop" is not valid:\n {2}- --domain: .*\n {2}- --key-type "rsa-1024".*\n {2}- --export "ftp"/,
    ],
  ])('refuses a certificate request with %s (400), naming what is wrong', async (_label, body, detail) => {
    const answer = await send('POST', '/certificates', { body });
    expectProblem(answer, 'ERR_BAD_INPUT', '/certificates');
    expect((answer.body as { detail: string }).detail).toMatch(detail);
    expect(documented('POST', '/certificates', answer)).toEqual([]);
  });
});

describe('who may change a certificate', () => {
  const owner = 'arn:aws:sts::123456789012:assumed-role/app-team/alice';
  it.each([
    ['the owner', owner, [], true],
    ["another session of the owner's role", 'arn:aws:sts::123456789012:assumed-role/app-team/bob', [], true],
    ['the role itself', 'arn:aws:iam::123456789012:role/app-team', [], true],
    ['another role', 'arn:aws:sts::123456789012:assumed-role/other-team/carol', [], false],
    ['an administrator', 'arn:aws:sts::123456789012:assumed-role/platform/dave', ['arn:aws:iam::123456789012:role/platform'], true],
    ['a user', 'arn:aws:iam::123456789012:user/eve', ['arn:aws:iam::123456789012:role/platform'], false],
  ])('%s: %s', (_label, caller, admins, allowed) => {
    expect(mayChange(caller, owner, admins)).toBe(allowed);
  });
});

describe('the certificate operations on moto (S3 and ECS)', () => {
  const commandsOf = async (name: string) => (await moto.tasks()).filter((task) => task.startedBy === `api:${name}`).map((task) => task.overrides?.containerOverrides?.find((o) => o.name === 'issuer')?.command);
  const declared = async (name: string) => {
    const found = await moto.s3.send(new GetObjectCommand({ Bucket: moto.env.CERT_BUCKET, Key: `declared/${name}.json` })).then(
      async (o) => JSON.parse(await o.Body!.transformToString()) as Record<string, unknown>,
      () => undefined,
    );
    return found;
  };

  it('POST /certificates declares it with the caller as owner and starts `renew NAME` with the schedule`s RunTask input (202, status URL)', async () => {
    const answer = await send('POST', '/certificates', { body: JSON.stringify({ name: 'shop', domains: ['shop.example.com', 'www.shop.example.com'], ca: 'letsencrypt|zerossl', keyType: 'ec-p256' }) });
    expect(answer.status).toBe(202);
    const statusUrl = `https://${DOMAIN}/certificates/shop/status`;
    expect(answer.headers.location).toBe(statusUrl);
    expect(answer.body).toMatchObject({ name: 'shop', statusUrl, taskArn: expect.stringMatching(/^arn:aws:ecs:/) });
    expect(await declared('shop')).toMatchObject({
      name: 'shop',
      owner: ALICE,
      declaredBy: ALICE,
      domains: ['shop.example.com', 'www.shop.example.com'],
      keyType: 'ec-p256',
      directoryUrls: [KNOWN_DIRECTORIES.letsencrypt, KNOWN_DIRECTORIES.zerossl],
    });
    const [task] = (await moto.tasks()).filter((t) => t.startedBy === 'api:shop');
    expect(task).toMatchObject({ launchType: 'FARGATE', taskDefinitionArn: moto.env.ISSUER_TASK_DEFINITION, clusterArn: moto.env.ISSUER_CLUSTER });
    expect(task!.overrides?.containerOverrides).toEqual([expect.objectContaining({ name: 'issuer', command: ['renew', 'shop'] })]);
    expect(JSON.stringify(task!.attachments)).toContain(moto.env.ISSUER_SUBNETS);
  });

  it('answers a declared, not yet issued certificate as pending, in the list and alone, with its owner', async () => {
    expect((await send('GET', '/certificates/shop/status')).body).toEqual({ name: 'shop', state: 'pending' });
    expect((await send('GET', '/certificates/shop', { caller: CAROL })).body).toMatchObject({ name: 'shop', state: 'pending', owner: ALICE, domains: ['shop.example.com', 'www.shop.example.com'] });
    const list = (await send('GET', '/certificates')).body as { certificates: { name: string; state: string }[] };
    expect(list.certificates.find((c) => c.name === 'shop')).toMatchObject({ state: 'pending', owner: ALICE });
  });

  it("refuses another principal's change, renewal and deletion (403), changing nothing and starting nothing", async () => {
    const before = await declared('shop');
    const tasks = (await commandsOf('shop')).length;
    expectProblem(await send('POST', '/certificates', { caller: CAROL, body: JSON.stringify({ name: 'shop', domains: ['evil.example.com'] }) }), 'ERR_ACCESS_DENIED', '/certificates');
    expectProblem(await send('POST', '/certificates/shop/renew', { caller: CAROL }), 'ERR_ACCESS_DENIED', '/certificates/shop/renew');
    const refused = await send('DELETE', '/certificates/shop', { caller: CAROL });
    expectProblem(refused, 'ERR_ACCESS_DENIED', '/certificates/shop');
    expect((refused.body as { detail: string }).detail).toContain(`its owner is ${ALICE}`);
    expect(await declared('shop')).toEqual(before);
    expect(await commandsOf('shop')).toHaveLength(tasks);
  });

  it('lets an administrator renew it: `renew NAME --force` in the issuer task', async () => {
    const answer = await send('POST', '/certificates/shop/renew', { caller: DAVE });
    expect(answer.status).toBe(202);
    expect(await commandsOf('shop')).toContainEqual(['renew', 'shop', '--force']);
  });

  it('answers an issued certificate from its record: state, ACM ARN, the public chain and never the key; a failure with its message', async () => {
    const bucket = moto.env.CERT_BUCKET;
    const put = (key: string, body: string) => moto.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const at = new Date().toISOString();
    const notAfter = new Date(Date.now() + 60 * 86_400_000).toISOString();
    const record = {
      name: 'issued',
      domains: ['issued.example.com'],
      keyType: 'ec-p256',
      directoryUrl: KNOWN_DIRECTORIES.letsencrypt,
      state: 'active',
      serial: 'abc123',
      notAfter,
      renewAt: new Date(Date.now() + 40 * 86_400_000).toISOString(),
      acm: [{ region: 'us-east-1', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f0f0f0f-1111-2222-3333-444444444444', serial: 'abc123', importedAt: at }],
      lastError: undefined,
      history: [{ at, state: 'active', cause: 'issued' }],
      updatedAt: at,
    };
    expect(schemaProblemsOfRecord(record)).toBeUndefined();
    await put('renewal/issued.json', JSON.stringify(record));
    await put('live/issued/fullchain.pem', 'FULLCHAIN PEM\n');
    await put('live/issued/privkey.pem', 'PRIVATE KEY MATERIAL\n');
    await put(
      'live/issued/metadata.json',
      JSON.stringify({
        name: 'issued',
        serial: 'abc123',
        archivePrefix: 'archive/issued/abc123/',
        names: ['issued.example.com'],
        issuer: 'CN=R1',
        notBefore: at,
        notAfter,
        fingerprintSha256: 'AA',
        keyAlgorithm: 'EC',
        directoryUrl: KNOWN_DIRECTORIES.letsencrypt,
        issuedAt: at,
      }),
    );
    const answer = await send('GET', '/certificates/issued', { caller: CAROL });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: 'issued', state: 'active', acmArns: [record.acm[0]!.certificateArn], chain: 'FULLCHAIN PEM\n', notAfter });
    expect(answer.body).not.toHaveProperty('owner');
    expect(JSON.stringify(answer.body)).not.toContain('PRIVATE KEY');
    expect(documented('GET', '/certificates/{name}', answer)).toEqual([]);
    // Nobody owns it (CERTIFICATES): only an administrator may renew it.
    expectProblem(await send('POST', '/certificates/issued/renew'), 'ERR_ACCESS_DENIED', '/certificates/issued/renew');
    await put('renewal/issued.json', JSON.stringify({ ...record, state: 'failed', lastError: { at, code: 'ERR_VALIDATION_FAILED', message: 'issued.example.com: connection refused' }, retryAt: notAfter }));
    expect((await send('GET', '/certificates/issued/status')).body).toEqual({ name: 'issued', state: 'failed', message: 'ERR_VALIDATION_FAILED: issued.example.com: connection refused', retryAt: notAfter });
    // The detail carries what the dashboard's detail shows: the history and the last error.
    const failed = await send('GET', '/certificates/issued');
    expect(failed.body).toMatchObject({ state: 'failed', history: record.history, lastError: { at, code: 'ERR_VALIDATION_FAILED', message: 'issued.example.com: connection refused' } });
    expect(documented('GET', '/certificates/{name}', failed)).toEqual([]);
  });

  it("the owner's DELETE succeeds: undeclared, and `delete NAME` started only where something was issued", async () => {
    const answer = await send('DELETE', '/certificates/shop');
    expect(answer.status).toBe(202);
    expect(answer.body).not.toHaveProperty('taskArn');
    expect(await declared('shop')).toBeUndefined();
    expect(await commandsOf('shop')).not.toContainEqual(['delete', 'shop']);
    expectProblem(await send('GET', '/certificates/shop'), 'ERR_NOT_FOUND', '/certificates/shop');
    const admin = await send('DELETE', '/certificates/issued', { caller: DAVE });
    expect(admin.status).toBe(202);
    expect(await commandsOf('issued')).toContainEqual(['delete', 'issued']);
  });

  it('a name nobody declared or issued is 404 for every operation on it', async () => {
    for (const [method, path] of [
      ['GET', '/certificates/nothing'],
      ['GET', '/certificates/nothing/status'],
      ['POST', '/certificates/nothing/renew'],
      ['DELETE', '/certificates/nothing'],
    ] as const) {
      expectProblem(await send(method, path, { caller: DAVE }), 'ERR_NOT_FOUND', path);
    }
  });
});

/** The record is of the shape the issuer writes (a test's record that is not would test nothing). */
function schemaProblemsOfRecord(record: unknown): string | undefined {
  return shapeProblem(JSON.parse(JSON.stringify(record)), renewalRecordShape);
}
