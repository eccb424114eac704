// The stack's IAM, enforced: moto checks every request of this local stack against IAM, and the
// issuer CLI and the responder run as roles holding the synthesized template's own policies
// (tests/support/local-stack.ts, scripts/local/bootstrap-iam.ts). Here: that enforcement is on and
// the roles hold exactly the template's statements; that taking one statement away makes exactly
// the step that needs it fail, with a message naming the action, the resource and what to do; and
// what moto does not check, shown rather than assumed (docs/security.md lists what only AWS can show).
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCodes } from '../../container/exit-codes.js';
import { S3ObjectStore } from '../../lib/store/s3-object-store.js';
import { resolvedPolicies, ROLE_NAMES } from '../../scripts/local/bootstrap-iam.js';
import { randomToken } from '../support/alb-events.js';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { withoutAction, withoutStatementGranting } from '../support/iam.js';
import { eventOf, runCli, startLocalStack, type LocalIam, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let iam: LocalIam;
let aws: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'iam' });
  iam = stack.iam!;
  aws = clientsFor(stack);
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stdout).toBe(0);
});
afterAll(async () => stack?.stop());

const s3As = (credentials: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string; AWS_SESSION_TOKEN?: string }) =>
  new S3Client({
    region: stack.env.AWS_REGION!,
    endpoint: stack.env.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY, sessionToken: credentials.AWS_SESSION_TOKEN || undefined },
  });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'allowed',
    (error: { name?: string }) => error.name ?? JSON.stringify(error),
  );
const errorOf = (result: Awaited<ReturnType<typeof runCli>>) => eventOf(result, 'error') as { code: string; message: string; hint: string };

/** Runs `work` while the roles hold edited template policies, and puts the template's back after, whatever happens. */
async function withPolicies<T>(edit: NonNullable<Parameters<LocalIam['apply']>[0]>['edit'], work: () => Promise<T>): Promise<T> {
  await iam.apply({ edit });
  try {
    return await work();
  } finally {
    await iam.apply();
  }
}

/** The responder's answer over HTTP through the ALB adapter, from a fresh function (no thumbprint cached). */
async function freshResponderAnswer(): Promise<{ status: number; log: Record<string, unknown>[] }> {
  const host = stack.responderRuntime === 'lambda' ? 'responder' : 'adapter';
  await stack.service('stop', host);
  await stack.service('start', host);
  const response = await fetch(`http://127.0.0.1:${stack.httpPort}/.well-known/acme-challenge/${randomToken()}`);
  await response.text();
  // the function's output reaches its log file a moment after the answer
  await new Promise((resolve) => setTimeout(resolve, 300));
  const log = stack
    .responderLog()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: response.status, log };
}

describe('moto enforces the template', () => {
  it('refuses an unknown key, serves the admin, and refuses the issuer role what the template does not grant', async () => {
    expect(await refusal(s3As({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNUNKNOWN00', AWS_SECRET_ACCESS_KEY: 'x' }).send(new ListBucketsCommand({})))).toBe('InvalidAccessKeyId');
    expect(await refusal(aws.s3.send(new ListBucketsCommand({})))).toBe('allowed');
    const issuer = s3As(iam.issuerEnv);
    // its prefixes, yes; elsewhere in its own bucket, or deleting an archived version, no
    expect(await refusal(issuer.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'locks/probe.json', Body: '{}' })))).toBe('allowed');
    expect(await refusal(issuer.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: 'locks/probe.json' })))).toBe('allowed');
    expect(await refusal(issuer.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'elsewhere/probe', Body: 'x' })))).toBe('AccessDenied');
    expect(await refusal(issuer.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: 'archive/anything/0/cert.pem' })))).toBe('AccessDenied');
    expect(await refusal(issuer.send(new ListBucketsCommand({})))).toBe('AccessDenied');
    // the responder reads account/jwk.json and nothing else
    const responder = s3As(iam.responderEnv);
    expect(await refusal(responder.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'account/jwk.json', Body: '{}' })))).toBe('AccessDenied');
    expect(await refusal(responder.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'account/' })))).toBe('AccessDenied');
  });

  it('gives each role exactly its template statements, every intrinsic resolved to this stack', async () => {
    const client = new IAMClient({ region: stack.env.AWS_REGION!, endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) });
    const expected = resolvedPolicies(iam.policies, iam.state.local);
    for (const kind of ['issuer', 'responder'] as const) {
      const held = await client.send(new GetRolePolicyCommand({ RoleName: ROLE_NAMES[kind], PolicyName: 'template' }));
      const document = JSON.parse(decodeURIComponent(held.PolicyDocument!)) as { Statement: unknown[] };
      expect(document).toEqual(expected[kind].document);
      expect(document.Statement).toHaveLength(iam.policies[kind].statements.length);
      const text = JSON.stringify(document);
      expect(text).not.toMatch(/"(Ref|Fn::\w+)"/);
      expect(text).toContain(`arn:aws:s3:::${aws.bucket}/`);
    }
    expect(JSON.stringify(expected.issuer.document)).toContain(stack.env.CERT_KMS_KEY_ID!);
  });
});

describe('the responder without its statements', () => {
  it('answers 503 and logs the refused permission without s3:GetObject on account/jwk.json; answers again once it is back', async () => {
    const { status, log } = await withPolicies({ responder: withoutStatementGranting('s3:GetObject') }, freshResponderAnswer);
    expect(status).toBe(503);
    const line = log.find((entry) => entry.message === 'answering 503: account public JWK unavailable');
    expect(line, JSON.stringify(log)).toBeDefined();
    expect(line).toMatchObject({ causeCode: 'ERR_ACCESS_DENIED' });
    expect(String(line!.cause)).toBe(`could not read s3://${aws.bucket}/account/jwk.json: AWS denied s3:GetObject on arn:aws:s3:::${aws.bucket}/account/jwk.json (AccessDenied: Access Denied)`);
    expect(String(line!.hint)).toMatch(
      /^grant s3:GetObject on arn:aws:s3:::\S+\/account\/jwk\.json to the responder function's role \(granted by the stack in lib\/constructs\/certificate-store\.ts grantReadPublicJwk\)/,
    );
    expect((await freshResponderAnswer()).status).toBe(200);
  });
});

describe('the issuer without one statement', () => {
  it('stops at "store in S3" without s3:PutObject on live/*, naming the object, and leaves no live pointer', async () => {
    const result = await withPolicies({ issuer: withoutAction('s3:PutObject', '/live/*') }, () => runCli(stack, ['issue', '--name', 'nolive', '--domain', 'nolive.example.com']));
    expect(result.code, result.stdout.slice(-1500)).toBe(ExitCodes.ACCESS_DENIED);
    const failedStep = result.events.find((e) => e.event === 'step' && e.ok === false);
    expect(failedStep?.step).toBe('store in S3 (archive, then live)');
    const error = errorOf(result);
    expect(error.code).toBe('ERR_ACCESS_DENIED');
    expect(error.message).toMatch(new RegExp(`^could not write s3://${aws.bucket}/live/nolive/\\S+: AWS denied s3:PutObject on arn:aws:s3:::${aws.bucket}/live/nolive/\\S+ \\(AccessDenied`));
    expect(error.hint).toMatch(
      /^grant s3:PutObject on arn:aws:s3:::\S+\/live\/nolive\/\S+ to the issuer's credentials \(on ECS the task role, granted by the stack in lib\/constructs\/certificate-store\.ts grantIssuer\)/,
    );
    expect(error.hint).toContain('an SSE-KMS write also needs kms:GenerateDataKey on the store key, through S3');
    // archive first (allowed), then the live pointer (refused): nothing half-live
    expect(await aws.read('live/nolive/metadata.json')).toBeUndefined();
    expect((await aws.list('archive/nolive/')).length).toBeGreaterThan(0);
    // with the statement back, the same command completes
    const again = await runCli(stack, ['issue', '--name', 'nolive', '--domain', 'nolive.example.com']);
    expect(again.code, again.stdout.slice(-1500)).toBe(0);
  });

  it('stops at the ACM import without acm:ImportCertificate, naming the certificate ARN it would get; S3 holds the certificate', async () => {
    const result = await withPolicies({ issuer: withoutAction('acm:ImportCertificate') }, () => runCli(stack, ['issue', '--name', 'noacm', '--domain', 'noacm.example.com']));
    expect(result.code, result.stdout.slice(-1500)).toBe(ExitCodes.ACCESS_DENIED);
    expect(result.events.find((e) => e.event === 'step' && e.ok === false)?.step).toBe('import into ACM us-east-1');
    const error = errorOf(result);
    expect(error.message).toMatch(
      /^ACM refused the import of noacm in us-east-1: AWS denied acm:ImportCertificate on arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36} to arn:aws:sts::\d{12}:assumed-role\/local-issuer-task\/issuer \(AccessDeniedException\)$/,
    );
    expect(error.hint).toMatch(
      /^grant acm:ImportCertificate on arn:aws:acm:us-east-1:\d{12}:certificate\/\S+ to the issuer's credentials \(on ECS the task role, granted by the stack in lib\/constructs\/issuer-task\.ts grantAcmImport\)/,
    );
    expect(await aws.read('live/noacm/cert.pem')).toMatch(/BEGIN CERTIFICATE/);
    const renewed = await runCli(stack, ['renew', 'noacm', '--force']);
    expect(renewed.code, renewed.stdout.slice(-1500)).toBe(0);
  });

  it('refuses delete without acm:DeleteCertificate with the action and ARN (it was an internal error), and keeps the record', async () => {
    const issued = await runCli(stack, ['issue', '--name', 'keep', '--domain', 'keep.example.com']);
    expect(issued.code, issued.stdout.slice(-1500)).toBe(0);
    const arn = String(eventOf(issued, 'issued').acmArn);
    const result = await withPolicies({ issuer: withoutAction('acm:DeleteCertificate') }, () => runCli(stack, ['delete', 'keep']));
    expect(result.code, result.stdout.slice(-1500)).toBe(ExitCodes.ACCESS_DENIED);
    expect(errorOf(result).message).toBe(`could not delete ${arn}: AWS denied acm:DeleteCertificate on ${arn} to arn:aws:sts::${iam.state.account}:assumed-role/local-issuer-task/issuer (AccessDeniedException)`);
    expect(await aws.read('renewal/keep.json')).toBeDefined();
    const deleted = await runCli(stack, ['delete', 'keep']);
    expect(deleted.code, deleted.stdout.slice(-1500)).toBe(0);
  });

  it('fails the health storage check without s3:ListBucket, saying which permission', async () => {
    const result = await withPolicies({ issuer: withoutAction('s3:ListBucket') }, () => runCli(stack, ['health']));
    expect(result.code).toBe(ExitCodes.HEALTH_FAILED);
    const storage = result.events.find((e) => e.event === 'check' && e.check === 'storage');
    expect(String(storage?.detail)).toBe(`could not list s3://${aws.bucket}/renewal/: AWS denied s3:ListBucket on arn:aws:s3:::${aws.bucket} (s3:prefix renewal/) (AccessDenied: Access Denied)`);
  });
});

describe('what moto does not check (only AWS can show these statements are needed and enough)', () => {
  it('KMS behind SSE-KMS: without any kms: statement, the issuer still writes and the responder still reads', async () => {
    const [issued, answer] = await withPolicies(
      { issuer: withoutStatementGranting('kms:GenerateDataKey'), responder: withoutStatementGranting('kms:Decrypt') },
      async () => [await runCli(stack, ['issue', '--name', 'nokms', '--domain', 'nokms.example.com']), await freshResponderAnswer()] as const,
    );
    expect(issued.code, issued.stdout.slice(-1500)).toBe(0);
    expect(answer.status).toBe(200);
  });

  it('conditions: moto ignores them (a statement whose condition can never hold still allows)', async () => {
    // AWS would refuse every request under this condition; moto evaluates no condition at all.
    const never = { StringEquals: { 'aws:RequestedRegion': 'nowhere-1' } };
    const listed = await withPolicies({ issuer: (statements) => statements.map((statement) => ({ ...statement, Condition: never })) }, () =>
      refusal(s3As(iam.issuerEnv).send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'renewal/' }))),
    );
    expect(listed).toBe('allowed');
  });

  it("archive/'s s3:if-none-match: moto lets a plain overwrite through, so the store refuses to send one", async () => {
    const issuer = s3As(iam.issuerEnv);
    const key = 'archive/probe/01/cert.pem';
    // create-only writes pass; a second one is S3's 412, which moto does evaluate
    expect(await refusal(issuer.send(new PutObjectCommand({ Bucket: aws.bucket, Key: key, Body: 'first', IfNoneMatch: '*' })))).toBe('allowed');
    expect(await refusal(issuer.send(new PutObjectCommand({ Bucket: aws.bucket, Key: key, Body: 'again', IfNoneMatch: '*' })))).toBe('PreconditionFailed');
    // without the header AWS would refuse (the template's condition); moto does not
    expect(await refusal(issuer.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${key}.plain`, Body: 'x' })))).toBe('allowed');
    // the issuer's store never sends such a write: refused before any request
    const store = new S3ObjectStore({ aws: { region: stack.env.AWS_REGION!, endpointUrl: stack.env.AWS_ENDPOINT_URL! }, bucket: aws.bucket, kmsKeyId: undefined });
    await expect(store.put('archive/probe/02/cert.pem', 'x')).rejects.toThrow(/archive\/probe\/02\/cert\.pem is create-only/);
    await expect(store.put('archive/probe/02/cert.pem', 'x', { condition: { ifMatch: '"etag"' } })).rejects.toThrow(TypeError);
    expect(await aws.list('archive/probe/02/')).toEqual([]);
  });
});
