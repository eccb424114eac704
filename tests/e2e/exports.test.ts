// Serving and handing over certificates on the local stack: an HTTPS listener on a moto ALB that
// starts with a placeholder certificate, certificates attached to it by the issuer, PEM bundles
// in Secrets Manager and SSM, and a renewal that keeps every ARN and identifier while the
// content changes. Real CLI processes, real pebble, real moto (ACM, ELBv2, EC2, Secrets Manager,
// SSM, KMS, S3).
import { X509Certificate } from 'node:crypto';
import { ACMClient, GetCertificateCommand } from '@aws-sdk/client-acm';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateListenerCommand, CreateLoadBalancerCommand, DescribeListenerCertificatesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let clients: { acm: ACMClient; elb: ElasticLoadBalancingV2Client; secrets: SecretsManagerClient; ssm: SSMClient };
let listenerArn: string;
let placeholderArn: string;
let kmsKeyArn: string;
let env: Record<string, string>;

const CERTIFICATES = 'shop=shop.example.com,www.shop.example.com;export=secrets,ssm plain=plain.example.com';

interface Bundle {
  name: string;
  domains: string[];
  serial: string;
  notAfter: string;
  certificate: string;
  chain: string;
  fullchain: string;
  privateKey: string;
}
interface RecordWithExports {
  serial: string;
  acm: { region: string; certificateArn: string }[];
  exports?: { kind: string; id: string; version: string; serial: string }[];
}

const record = async (name: string) => JSON.parse((await aws.read(`renewal/${name}.json`))!) as RecordWithExports;
const listenerCertificates = async () => ((await clients.elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listenerArn }))).Certificates ?? []).map((c) => c.CertificateArn!);
const secretBundle = async (id: string, stage = 'AWSCURRENT') => JSON.parse((await clients.secrets.send(new GetSecretValueCommand({ SecretId: id, VersionStage: stage }))).SecretString!) as Bundle;
const parameter = async (name: string) => (await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!;
const steps = (result: CliResult) => result.events.filter((e) => e.event === 'step').map((e) => String(e.step));
const exportedNames = async () => ({
  secrets: ((await clients.secrets.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name).sort(),
  parameters: ((await clients.ssm.send(new GetParametersByPathCommand({ Path: '/acme/', Recursive: true }))).Parameters ?? []).map((p) => p.Name).sort(),
});

/** Every CERTIFICATES entry this file uses, as a deployment would list them: its template grants Secrets Manager, SSM, the listener and us-west-2. */
const DEPLOY = {
  DEPLOY_CERTIFICATES: `${CERTIFICATES} edge=edge.example.com;regions=us-west-2 none=none.example.com;export=none`,
  DEPLOY_HTTPS_CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
};

beforeAll(async () => {
  stack = await startLocalStack({ name: 'exports', deploy: DEPLOY });
  aws = clientsFor(stack);
  const settings = {
    region: stack.env.AWS_REGION!,
    endpoint: stack.env.AWS_ENDPOINT_URL!,
    credentials: adminCredentials(stack),
  };
  clients = {
    acm: new ACMClient(settings),
    elb: new ElasticLoadBalancingV2Client(settings),
    secrets: new SecretsManagerClient(settings),
    ssm: new SSMClient(settings),
  };
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);

  // The first-deploy bootstrap: the listener starts with a placeholder certificate (here one the
  // issuer made, on AWS any certificate in the region), and ours are attached beside it (SNI).
  const placeholder = await runCli(stack, ['issue', '--name', 'placeholder', '--domain', 'placeholder.example.com']);
  expect(placeholder.code, placeholder.stderr + placeholder.stdout).toBe(0);
  placeholderArn = String(eventOf(placeholder, 'issued').acmArn);

  const ec2 = new EC2Client(settings);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const subnets = await Promise.all(['a', 'b'].map((zone, i) => ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: `10.20.${i}.0/24`, AvailabilityZone: `us-east-1${zone}` }))));
  const alb = await clients.elb.send(new CreateLoadBalancerCommand({ Name: 'acme-exports', Type: 'application', Scheme: 'internet-facing', Subnets: subnets.map((s) => s.Subnet!.SubnetId!) }));
  const listener = await clients.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: alb.LoadBalancers![0]!.LoadBalancerArn!,
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: placeholderArn }],
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }],
    }),
  );
  listenerArn = listener.Listeners![0]!.ListenerArn!;
  kmsKeyArn = (await new KMSClient(settings).send(new CreateKeyCommand({ Description: 'exports' }))).KeyMetadata!.Arn!;
  // The stack's listener and export key exist now: the task role's statements name them.
  await stack.iam?.apply({ resources: { httpsListenerArn: listenerArn, exportKeyArn: kmsKeyArn } });
  env = { CERTIFICATES, HTTPS_LISTENER_ARN: listenerArn, EXPORT_KMS_KEY_ID: kmsKeyArn };
}, 120_000);
afterAll(async () => stack?.stop());

describe('first issuance with exports on', () => {
  let first: CliResult;

  it('issues both certificates, exporting only the one whose entry asks for it', async () => {
    first = await runCli(stack, ['renew'], env);
    expect(first.code, first.stderr + first.stdout.slice(-3000)).toBe(0);
    expect(eventOf(first, 'renew-summary')).toMatchObject({ issued: 2, failed: 0 });
    expect(steps(first)).toEqual(expect.arrayContaining(['export to Secrets Manager acme/shop', 'export to SSM /acme/shop']));
    expect(steps(first).filter((s) => s.startsWith('attach to the HTTPS listener'))).toHaveLength(2);
    expect(await exportedNames()).toEqual({ secrets: ['acme/shop'], parameters: ['/acme/shop'] });
  });

  it('attaches each certificate to the listener beside the placeholder', async () => {
    const shop = await record('shop');
    const plain = await record('plain');
    expect((await listenerCertificates()).sort()).toEqual([placeholderArn, shop.acm[0]!.certificateArn, plain.acm[0]!.certificateArn].sort());
  });

  it('writes the live bundle to a KMS-encrypted secret and a SecureString parameter, recorded with their ids', async () => {
    const shop = await record('shop');
    const live = { cert: (await aws.read('live/shop/cert.pem'))!, fullchain: (await aws.read('live/shop/fullchain.pem'))!, key: (await aws.read('live/shop/privkey.pem'))! };
    const secret = await clients.secrets.send(new DescribeSecretCommand({ SecretId: 'acme/shop' }));
    expect(secret.KmsKeyId).toBe(kmsKeyArn);
    const bundle = await secretBundle('acme/shop');
    expect(bundle).toMatchObject({ name: 'shop', domains: ['shop.example.com', 'www.shop.example.com'], serial: shop.serial, certificate: live.cert, fullchain: live.fullchain, privateKey: live.key });
    const param = await parameter('/acme/shop');
    expect(param.Type).toBe('SecureString');
    expect(JSON.parse(param.Value!)).toEqual(bundle);
    // One document for every consumer: the secret and the parameter hold what live/shop/bundle.json holds.
    expect(bundle).toEqual(JSON.parse((await aws.read('live/shop/bundle.json'))!));
    expect(shop.exports).toEqual([
      expect.objectContaining({ kind: 'secretsmanager', id: secret.ARN, serial: shop.serial }),
      expect.objectContaining({ kind: 'ssm', id: '/acme/shop', version: String(param.Version), serial: shop.serial }),
      expect.objectContaining({ kind: 'listener', id: listenerArn, version: shop.acm[0]!.certificateArn }),
    ]);
    // plain has no export option and EXPORTS is empty: only the listener.
    expect((await record('plain')).exports?.map((e) => e.kind)).toEqual(['listener']);
    const shown = await runCli(stack, ['show', 'shop'], env);
    expect(eventOf(shown, 'certificate').exports).toEqual([
      expect.stringMatching(/^secretsmanager arn:aws:secretsmanager:us-east-1:\d{12}:secret:acme\/shop-\w+ \(version /),
      `ssm /acme/shop (version ${param.Version}, serial ${shop.serial})`,
      `listener ${listenerArn} (version ${shop.acm[0]!.certificateArn}, serial ${shop.serial})`,
    ]);
  });
});

describe('renewal', () => {
  it('keeps every ARN and identifier while their content changes', async () => {
    const before = await record('shop');
    const listenerBefore = await listenerCertificates();
    const secretBefore = await clients.secrets.send(new DescribeSecretCommand({ SecretId: 'acme/shop' }));
    const bundleBefore = await secretBundle('acme/shop');
    const paramBefore = await parameter('/acme/shop');
    const arn = before.acm[0]!.certificateArn;

    const renewed = await runCli(stack, ['renew', 'shop', '--force'], env);
    expect(renewed.code, renewed.stderr + renewed.stdout.slice(-3000)).toBe(0);
    const after = await record('shop');
    expect(after.serial).not.toBe(before.serial);
    expect(steps(renewed)).toEqual(expect.arrayContaining(['re-import into ACM us-east-1 (same ARN)', 'export to Secrets Manager acme/shop', 'export to SSM /acme/shop']));
    expect(renewed.events.find((e) => e.step === 'attach to the HTTPS listener')?.detail).toBe('already attached (same ARN)');

    // ACM: same ARN, new certificate behind it; the listener's list is exactly what it was.
    expect(after.acm[0]!.certificateArn).toBe(arn);
    const inAcm = await clients.acm.send(new GetCertificateCommand({ CertificateArn: arn }));
    expect(new X509Certificate(inAcm.Certificate!).serialNumber.toLowerCase()).toBe(after.serial);
    expect(await listenerCertificates()).toEqual(listenerBefore);

    // Secrets Manager: same ARN, a new version holding the new bundle; the old one is AWSPREVIOUS.
    const secretAfter = await clients.secrets.send(new DescribeSecretCommand({ SecretId: 'acme/shop' }));
    expect(secretAfter.ARN).toBe(secretBefore.ARN);
    const bundleAfter = await secretBundle('acme/shop');
    expect(bundleAfter.serial).toBe(after.serial);
    // The key is reused on renewal (docs/consuming.md); only the certificate changes.
    expect(bundleAfter.privateKey).toBe(bundleBefore.privateKey);
    expect(bundleAfter.certificate).not.toBe(bundleBefore.certificate);
    expect(bundleAfter.certificate).toBe(await aws.read('live/shop/cert.pem'));
    expect((await secretBundle('acme/shop', 'AWSPREVIOUS')).serial).toBe(before.serial);

    // SSM: same name, next version, new content.
    const paramAfter = await parameter('/acme/shop');
    expect(paramAfter.Name).toBe(paramBefore.Name);
    expect(paramAfter.Version).toBe(paramBefore.Version! + 1);
    expect((JSON.parse(paramAfter.Value!) as Bundle).serial).toBe(after.serial);

    // The record: the same ids, new versions.
    const ids = (r: RecordWithExports) => r.exports!.map((e) => [e.kind, e.id]);
    expect(ids(after)).toEqual(ids(before));
    expect(after.exports!.find((e) => e.kind === 'secretsmanager')!.version).toBe(
      secretAfter.VersionIdsToStages ? Object.entries(secretAfter.VersionIdsToStages).find(([, stages]) => stages.includes('AWSCURRENT'))![0] : undefined,
    );
    expect(after.exports!.every((e) => e.serial === after.serial)).toBe(true);
  });

  it("prints the lines the stack's metric filters turn into the alarm metrics (lib/constructs/monitoring.ts)", async () => {
    const result = await runCli(stack, ['renew'], env);
    expect(result.code, result.stderr).toBe(0);
    // RenewalRunSucceeded: { $.event = "renew-summary" && $.failed = 0 } (a number, not a string).
    expect(eventOf(result, 'renew-summary')).toMatchObject({ failed: 0 });
    // DaysToExpiry by CertificateName, and MinDaysToExpiry without it: one metric line per certificate per run, even when nothing is due.
    const days = result.events.filter((e) => e.event === 'metric' && 'DaysToExpiry' in e);
    // The placeholder was made by `issue` and is not in CERTIFICATES: still monitored (and renewed), with a warning.
    expect(days.map((e) => e.CertificateName).sort()).toEqual(['placeholder', 'plain', 'shop']);
    expect(result.events.filter((e) => e.event === 'warning').map((e) => e.message)).toEqual(['placeholder is not declared: `delete placeholder` to stop renewing it']);
    for (const line of days) {
      expect(typeof line.DaysToExpiry).toBe('number');
      expect(line.DaysToExpiry as number).toBeGreaterThan(0);
      expect(line._aws).toBeUndefined();
    }
  });
});

describe('per-certificate ACM regions (regions=)', () => {
  it('imports into each listed region as well, and a renewal keeps every regional ARN', async () => {
    const edgeEnv = { CERTIFICATES: 'edge=edge.example.com;regions=us-west-2' };
    const first = await runCli(stack, ['renew', 'edge'], edgeEnv);
    expect(first.code, first.stderr + first.stdout.slice(-2000)).toBe(0);
    expect(steps(first)).toEqual(expect.arrayContaining(['import into ACM us-east-1', 'import into ACM us-west-2']));
    const before = await record('edge');
    expect(before.acm.map((r) => r.region)).toEqual(['us-east-1', 'us-west-2']);
    expect(before.acm[1]!.certificateArn).toMatch(/^arn:aws:acm:us-west-2:/);

    const renewed = await runCli(stack, ['renew', 'edge', '--force'], edgeEnv);
    expect(renewed.code, renewed.stderr).toBe(0);
    const after = await record('edge');
    expect(after.serial).not.toBe(before.serial);
    expect(after.acm.map((r) => r.certificateArn)).toEqual(before.acm.map((r) => r.certificateArn));
    const west = new ACMClient({ region: 'us-west-2', endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) });
    const inWest = await west.send(new GetCertificateCommand({ CertificateArn: after.acm[1]!.certificateArn }));
    expect(new X509Certificate(inWest.Certificate!).serialNumber.toLowerCase()).toBe(after.serial);
    // Other certificates are not imported there: shop still has one region.
    expect((await record('shop')).acm.map((r) => r.region)).toEqual(['us-east-1']);
  });
});

describe("the task role's reach (the template's statements, enforced by moto)", () => {
  it("attaches only to the stack's listener and writes only under the stack's secret prefix and parameter path", async () => {
    const other = await clients.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: listenerArn.replace(':listener/', ':loadbalancer/').replace(/\/[^/]+$/, ''),
        Port: 8443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: placeholderArn }],
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    );
    const otherListener = other.Listeners![0]!.ListenerArn!;
    const cases: [Record<string, string>, RegExp][] = [
      [{ HTTPS_LISTENER_ARN: otherListener }, new RegExp(`AWS denied elasticloadbalancing:AddListenerCertificates on ${otherListener.replace(/[/.]/g, '\\$&')} to \\S+ \\(AccessDenied`)],
      [{ EXPORTS: 'ssm', EXPORT_SSM_PREFIX: '/elsewhere/' }, /AWS denied ssm:PutParameter on arn:aws:ssm:us-east-1:\d{12}:parameter\/elsewhere\/reach to \S+ \(AccessDeniedException\)/],
      [{ EXPORTS: 'secrets', EXPORT_SECRET_PREFIX: 'elsewhere/' }, /AWS denied secretsmanager:DescribeSecret on arn:aws:secretsmanager:us-east-1:\d{12}:secret:elsewhere\/reach-\w{6} to \S+ \(AccessDeniedException\)/],
    ];
    for (const [extra, message] of cases) {
      const result = await runCli(stack, ['issue', '--name', 'reach', '--domain', 'reach.example.com', '--skip-preflight'], { EXPORT_KMS_KEY_ID: kmsKeyArn, ...extra });
      expect(result.code, result.stdout.slice(-1500)).toBe(11);
      expect(String(eventOf(result, 'error').message)).toMatch(message);
    }
    // the same runs with the stack's own names go through
    const ok = await runCli(stack, ['issue', '--name', 'reach', '--domain', 'reach.example.com', '--skip-preflight'], { EXPORT_KMS_KEY_ID: kmsKeyArn, EXPORTS: 'secrets,ssm', HTTPS_LISTENER_ARN: listenerArn });
    expect(ok.code, ok.stdout.slice(-1500)).toBe(0);
  });
});

describe('exports off', () => {
  it('writes no secret, no parameter and attaches nothing', async () => {
    const listenerBefore = await listenerCertificates();
    const namesBefore = await exportedNames();
    // No HTTPS_LISTENER_ARN, no EXPORTS, no export= option: the hand-over is not even constructed.
    const result = await runCli(stack, ['issue', '--name', 'quiet', '--domain', 'quiet.example.com']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(steps(result).some((s) => /export|attach/.test(s))).toBe(false);
    expect(await exportedNames()).toEqual(namesBefore);
    expect(await listenerCertificates()).toEqual(listenerBefore);
    expect((await record('quiet')).exports).toBeUndefined();
  });

  it('an entry with export=none overrides EXPORTS', async () => {
    const namesBefore = await exportedNames();
    const result = await runCli(stack, ['renew', 'none'], { CERTIFICATES: 'none=none.example.com;export=none', EXPORTS: 'secrets,ssm', EXPORT_KMS_KEY_ID: kmsKeyArn });
    expect(result.code, result.stderr + result.stdout.slice(-2000)).toBe(0);
    expect(eventOf(result, 'renew-summary')).toMatchObject({ issued: 1 });
    expect(await exportedNames()).toEqual(namesBefore);
    expect((await record('none')).exports).toEqual([]);
  });
});
