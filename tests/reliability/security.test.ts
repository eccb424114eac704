// Security properties as tests (docs/security.md is the threat model they prove). What is already
// asserted elsewhere is referenced, not repeated:
//   tests/infra/stack.test.ts  "role reaches account/jwk.json and its own logs, nothing else" (default
//                              configuration, exact statements), "denies every request that does not use
//                              TLS" (the certificate bucket), the issuer task role's exact actions;
//   tests/infra/dockerfile.test.ts "runs the bundled CLI as a non-root user";
//   tests/e2e/no-key-material.test.ts  no key material in any CLI output.
// Added here: the responder's policy in other configurations and against every resource policy,
// TLS-only on every bucket, KMS on every stored object after a real issuance (with the bucket's
// default encryption removed, so it is our code that asks for it), the store refusing a private
// key the endpoint did not encrypt, the responder's answers after a real issuance, and the audit.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketEncryptionCommand, HeadObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layout } from '../../lib/core/layout.js';
import { ExitCodes } from '../../container/exit-codes.js';
import { randomToken } from '../support/alb-events.js';
import { clientsFor } from '../support/aws.js';
import { asAdmin, eventOf, repoRoot, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';
import { asArray, logicalId, resourcesOfType, statementsOfRole, synthesize, type Synthesized } from '../infra/synth.js';

const SUITE = 'security';
const PREFIX = '/.well-known/acme-challenge/';

// ---------------------------------------------------------------- infrastructure (synthesized)

const CONFIGURATIONS: Record<string, Record<string, string>> = {
  default: {},
  // many options at once: shared listener, EAB secret, hand-over to Secrets Manager and SSM, alarms by email
  'shared listener, EAB, exports, alarms': {
    DEPLOY_ALB_LISTENER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared-alb/0123456789abcdef/fedcba9876543210',
    DEPLOY_ALB_RULE_PRIORITY: '7',
    DEPLOY_ACME_DIRECTORY: 'zerossl',
    DEPLOY_ACME_EAB_KID: 'kid-123',
    DEPLOY_ACME_EAB_HMAC_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/eab-hmac-AbCdEf',
    DEPLOY_EXPORTS: 'secrets,ssm',
    DEPLOY_ALARM_EMAIL: 'ops@example.com',
  },
};

describe.each(Object.entries(CONFIGURATIONS))('synthesized stack (%s)', (_label, env) => {
  let synth: Synthesized;
  let responderRole: string;
  let bucketId: string;
  const jwkArn = () => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${layout.accountJwk}`]] });

  beforeAll(() => {
    synth = synthesize(env);
    responderRole = logicalId(synth, synth.stack.responder.role);
    bucketId = logicalId(synth, synth.stack.store.bucket);
  }, 120_000);

  it("the responder's policy: every S3 and KMS resource is the account/jwk.json object, read only", () => {
    const statements = statementsOfRole(synth.json, responderRole);
    let tried = 0;
    for (const statement of statements) {
      tried++;
      expect(statement.Effect).toBe('Allow');
      const actions = asArray(statement.Action as string | string[]);
      for (const action of actions) expect(['s3:GetObject', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents']).toContain(action);
      if (actions.some((a) => a.startsWith('s3:'))) {
        expect(actions).toEqual(['s3:GetObject']);
        expect(asArray(statement.Resource)).toEqual([jwkArn()]);
      }
      if (actions.some((a) => a.startsWith('kms:'))) {
        // the key may be used only by S3 and only to decrypt that one object
        expect(statement.Condition?.ArnEquals?.['kms:EncryptionContext:aws:s3:arn']).toEqual(jwkArn());
        expect(statement.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
      }
      if (actions.some((a) => a.startsWith('logs:'))) expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
    }
    expect(statements.filter((s) => asArray(s.Action).includes('s3:GetObject'))).toHaveLength(1);
    // its trust policy admits Lambda only
    const role = synth.json.Resources[responderRole]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    recordReliability({ suite: SUITE, kind: 'input', class: `IAM: responder statements (${_label})`, tried, survived: tried, objectsLost: 0 });
  });

  it('no bucket or key policy grants anything to the responder, and the key policy names no other principal than the account', () => {
    const resourcePolicies = [...resourcesOfType(synth.json, 'AWS::S3::BucketPolicy').map(([, r]) => r.Properties.PolicyDocument), ...resourcesOfType(synth.json, 'AWS::KMS::Key').map(([, r]) => r.Properties.KeyPolicy)];
    for (const document of resourcePolicies) {
      for (const statement of document.Statement as any[]) {
        if (statement.Effect !== 'Allow') continue;
        expect(JSON.stringify(statement.Principal)).not.toContain(responderRole);
        expect(statement.Principal).not.toEqual({ AWS: '*' });
        expect(statement.Principal).not.toBe('*');
      }
    }
  });

  it('every bucket refuses requests without TLS (aws:SecureTransport deny)', () => {
    const buckets = resourcesOfType(synth.json, 'AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(1);
    for (const [id] of buckets) {
      const policies = resourcesOfType(synth.json, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === id);
      const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as any[]);
      expect(statements, id).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  it('the issuer container is not privileged and does not override the image user (non-root, see dockerfile.test.ts)', () => {
    for (const [, definition] of resourcesOfType(synth.json, 'AWS::ECS::TaskDefinition')) {
      for (const container of definition.Properties.ContainerDefinitions as any[]) {
        expect(container.Privileged).not.toBe(true);
        expect(container.User === undefined || !['root', '0', '0:0'].includes(String(container.User))).toBe(true);
        expect(container.LinuxParameters?.Capabilities?.Add ?? []).toEqual([]);
      }
    }
  });
});

describe('the responder code', () => {
  it('reads account/jwk.json and nothing else: one GetObject on layout.accountJwk, no other S3 command', () => {
    const dir = join(repoRoot, 'lambdas', 'challenge'); // the responder; the API's grants are asserted in tests/infra/api.test.ts
    const files = (function walk(d: string): string[] {
      return readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : []));
    })(dir);
    const source = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(source.match(/\b[A-Z][A-Za-z]+Command\b/g)?.sort()).toEqual(['GetObjectCommand', 'GetObjectCommand']); // import + use
    expect(source.match(/layout\.\w+/g)).toEqual(['layout.accountJwk']);
  });
});

// ---------------------------------------------------------------- a real issuance on the local stack

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let serial: string;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'security' });
  aws = clientsFor(stack);
  // Without the bucket's default encryption, only the store's own SSE-KMS request can encrypt.
  await aws.s3.send(new DeleteBucketEncryptionCommand({ Bucket: aws.bucket }));
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stdout).toBe(0);
  const issued = await runCli(stack, ['issue', '--name', 'secure', '--domain', 'secure.example.com']);
  expect(issued.code, issued.stdout.slice(-1500)).toBe(0);
  serial = String(eventOf(issued, 'issued').serial);
}, 180_000);
afterAll(async () => stack?.stop());

describe('stored objects', () => {
  it('private keys (account, live, archive) and every other object are stored with SSE-KMS', async () => {
    const keys = await aws.list('');
    const privateKeys = [layout.accountKey, 'live/secure/privkey.pem', `archive/secure/${serial}/privkey.pem`];
    expect(keys).toEqual(expect.arrayContaining(privateKeys));
    let survived = 0;
    for (const key of keys) {
      const head = await aws.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: key }));
      expect(head.ServerSideEncryption, key).toBe('aws:kms');
      survived++;
    }
    recordReliability({ suite: SUITE, kind: 'input', class: 'S3: objects stored with SSE-KMS after a real issuance', tried: keys.length, survived, objectsLost: 0 });
  });

  it('the store refuses (exit 5) a private key that the endpoint stored without KMS, and removes that version', async () => {
    // A real fault: an S3 endpoint that does not report SSE-KMS (a plain proxy in front of moto
    // drops the SSE headers of its answers; the requests pass untouched, as their signatures
    // cover those headers and moto checks them), on a versioned bucket without default
    // encryption. Nothing is invented: moto stores and answers.
    const plain = `${aws.bucket}-plain`;
    await aws.s3.send(new CreateBucketCommand({ Bucket: plain }));
    await aws.s3.send(new PutBucketVersioningCommand({ Bucket: plain, VersioningConfiguration: { Status: 'Enabled' } }));
    const proxy = await sseStrippingProxy(Number(new URL(stack.env.AWS_ENDPOINT_URL!).port));
    try {
      // An S3-compatible store outside the stack: the task role does not reach this bucket (and the
      // removal is a DeleteObjectVersion, which the role never gets: on AWS an SSE-KMS PutObject is
      // always answered with aws:kms, so this path is for other stores). The admin's keys, then.
      const result = await runCli(stack, ['register'], { ...asAdmin(stack), CERT_BUCKET: plain, AWS_ENDPOINT_URL: `http://127.0.0.1:${proxy.port}` });
      expect(result.code, result.stdout).toBe(ExitCodes.STORAGE_FAILED);
      expect(String(eventOf(result, 'error').message)).toMatch(new RegExp(`s3://${plain}/account/key.pem holds a private key but the endpoint did not store it with SSE-KMS`));
      const versions = await aws.s3.send(new ListObjectVersionsCommand({ Bucket: plain }));
      expect((versions.Versions ?? []).map((v) => v.Key)).toEqual([]);
      expect(proxy.stripped()).toBeGreaterThan(0);
      recordReliability({ suite: SUITE, kind: 'fault', class: 'S3 endpoint ignores SSE-KMS for a private key', tried: 1, survived: 1, objectsLost: 0 });
    } finally {
      await proxy.close();
    }
  });
});

describe('the responder after a real issuance', () => {
  it('answers only token.thumbprint: no JWK member, no key material, over real HTTP through the ALB adapter', async () => {
    const jwk = JSON.parse((await aws.read(layout.accountJwk))!) as Record<string, string>;
    const registration = JSON.parse((await aws.read(layout.accountRegistration))!) as { thumbprint: string };
    const pems = await Promise.all([aws.read(layout.accountKey), aws.read('live/secure/privkey.pem')]);
    const secretLines = pems.flatMap((pem) => pem!.split('\n').filter((line) => line.length >= 32 && !line.startsWith('-----')));
    expect(secretLines.length).toBeGreaterThan(2);
    const COUNT = 200;
    let survived = 0;
    for (let i = 0; i < COUNT; i++) {
      const token = randomToken();
      const method = i % 4 === 3 ? 'HEAD' : 'GET';
      const response = await fetch(`http://127.0.0.1:${stack.httpPort}${PREFIX}${token}`, { method });
      const body = await response.text();
      expect(response.status).toBe(200);
      expect(body).toBe(method === 'HEAD' ? '' : `${token}.${registration.thumbprint}`);
      const everything = body + JSON.stringify([...response.headers]);
      for (const member of ['kty', 'crv', 'x', 'y', 'n', 'e', 'd']) if (jwk[member] !== undefined && jwk[member].length > 8) expect(everything).not.toContain(jwk[member]);
      expect(everything).not.toMatch(/"kty"|PRIVATE KEY|BEGIN /);
      for (const line of secretLines) expect(everything).not.toContain(line);
      survived++;
    }
    recordReliability({ suite: SUITE, kind: 'input', class: 'responder answers only token.thumbprint after issuance', tried: COUNT, survived, objectsLost: 0 });
  });
});

// ---------------------------------------------------------------- dependency audit

interface AuditException {
  readonly id: string;
  readonly pkg: string;
  readonly reason: string;
}

/** The allow-list: the table under "## Dependency audit exceptions" in docs/security.md. */
function auditExceptions(): AuditException[] {
  const text = readFileSync(join(repoRoot, 'docs/security.md'), 'utf8');
  const section = text.split(/^## Dependency audit exceptions\s*$/m)[1]?.split(/^## /m)[0];
  if (section === undefined) throw new Error('docs/security.md has no "## Dependency audit exceptions" section');
  return section
    .split('\n')
    .filter((line) => /^\|\s*GHSA-|^\|\s*\d+\s*\|/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .map(([id = '', pkg = '', reason = '']) => ({ id, pkg, reason }));
}

describe('dependency audit', () => {
  it('every exception in docs/security.md names an advisory, a package and a reason', () => {
    for (const exception of auditExceptions()) {
      expect(exception.id).toMatch(/^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|\d+)$/);
      expect(exception.pkg).toMatch(/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/);
      expect(exception.reason.length).toBeGreaterThan(40);
    }
  });

  it('`npm audit --omit=dev` finds no advisory that docs/security.md does not explain', (context) => {
    const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(run.stdout || '{}') as {
      vulnerabilities?: Record<string, { via: (string | { source?: number; url?: string; title?: string })[] }>;
      error?: unknown;
      statusCode?: number;
      message?: string;
    };
    if (report.vulnerabilities === undefined) {
      // The registry did not answer the advisory query (offline, or a mirror without the audit endpoint).
      if (process.env.REQUIRE_AUDIT === 'true') throw new Error(`npm audit could not run: ${report.message ?? run.stderr.slice(-500)}`);
      context.skip(`npm audit could not reach the advisory endpoint (${report.message ?? 'no report'}); set REQUIRE_AUDIT=true to make this fail`);
      return;
    }
    const allowed = new Set(auditExceptions().map((e) => e.id));
    const advisories = Object.entries(report.vulnerabilities).flatMap(([pkg, v]) =>
      v.via
        .filter((via): via is { source?: number; url?: string; title?: string } => typeof via === 'object')
        .map((via) => ({
          pkg,
          id: via.url?.match(/GHSA(-[a-z0-9]{4}){3}/)?.[0] ?? String(via.source),
          title: via.title,
        })),
    );
    const unexplained = advisories.filter((a) => !allowed.has(a.id));
    recordReliability({ suite: SUITE, kind: 'input', class: 'npm audit (production dependencies)', tried: advisories.length, survived: advisories.length - unexplained.length, objectsLost: 0 });
    expect(unexplained).toEqual([]);
  });
});

// ---------------------------------------------------------------- helpers

/** A forwarding proxy to moto that drops the SSE headers of its answers, as an endpoint ignoring SSE answers. */
async function sseStrippingProxy(targetPort: number): Promise<{ port: number; stripped: () => number; close: () => Promise<void> }> {
  let stripped = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers }, (response) => {
      const headers = { ...response.headers };
      for (const name of Object.keys(headers)) {
        if (name.startsWith('x-amz-server-side-encryption')) {
          delete headers[name];
          stripped++;
        }
      }
      outgoing.writeHead(response.statusCode ?? 502, headers);
      response.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    stripped: () => stripped,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
