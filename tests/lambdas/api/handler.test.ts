// The API handler against its OpenAPI document: the same routes, codes and enums, and every answer
// to a function URL event (payload 2.0, as Lambda hands it over) documented for its operation and
// status and of the documented schema. Errors are RFC 9457 problem documents with our codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { baseHandler } from '../../../lambdas/api/handler.js';
import { mayChange } from '../../../lambdas/api/identity.js';
import { PROBLEMS, problemType } from '../../../lambdas/api/problem.js';
import { ROUTES } from '../../../lambdas/api/routes.js';
import { CERTIFICATE_STATES, EXPORT_KINDS, KEY_TYPES, isValidCertName } from '../../../lib/core/index.js';
import { functionUrlEvent } from '../../support/function-url-events.js';
import { resolve, schemaProblems } from '../../support/json-schema.js';
import { repoRoot } from '../../support/local-stack.js';

type Schema = Record<string, unknown>;
const openapi = JSON.parse(readFileSync(join(repoRoot, 'lambdas/api/openapi.json'), 'utf8')) as Schema & { paths: Record<string, Record<string, Schema>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const schema = (name: string) => resolve(openapi, `#/components/schemas/${name}`);

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

async function send(method: string, path: string, options: { body?: string; caller?: string | undefined } = {}): Promise<Answer> {
  const result = (await baseHandler(functionUrlEvent(method, path, options))) as Exclude<LambdaFunctionURLResult, string>;
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
    const path = template.replace('{name}', 'shop');
    const body = method === 'POST' && template === '/certificates' ? JSON.stringify({ name: 'shop', domains: ['shop.example.com'] }) : undefined;
    const answer = await send(method, path, { body });
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

  it('checks a valid certificate request, and says the operation is not served yet (501)', async () => {
    const answer = await send('POST', '/certificates', { body: JSON.stringify({ name: 'shop', domains: ['shop.example.com'], keyType: 'ec-p256', exports: [], regions: ['us-east-1'] }) });
    expectProblem(answer, 'ERR_NOT_IMPLEMENTED', '/certificates');
    expect((answer.body as { detail: string }).detail).toBe('the request for "shop" is valid, but requestCertificate is not served by this version of the API yet');
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
