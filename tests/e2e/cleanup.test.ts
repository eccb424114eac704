// What the issuer made, taken away again: `delete` of a certificate exported to Secrets Manager
// and SSM, attached to the stack's HTTPS listener and imported into two ACM regions (interrupted
// half-way and run again); a key-type change through `renew` into a new ACM ARN, the listener
// moved to it and the old ARN deleted; `renew` exiting 7 on a lease another issuer holds. Real
// CLI processes as the task role (moto enforces the synthesized template's IAM), real pebble.
import { ACMClient, DescribeCertificateCommand, ResourceNotFoundException } from '@aws-sdk/client-acm';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateListenerCommand, CreateLoadBalancerCommand, DescribeListenerCertificatesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCredentials, clientsFor } from '../support/aws.js';
import { classicLoadBalancerUsing } from '../support/classic-elb.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventOf, runCli, startCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let elb: ElasticLoadBalancingV2Client;
let secrets: SecretsManagerClient;
let ssm: SSMClient;
const acm: Record<string, ACMClient> = {};
let listenerArn: string;
let placeholderArn: string;
let base: Record<string, string>;
let subnetId: string;

const GONE = 'gone=gone.example.com;export=secrets,ssm;regions=us-west-2';
const DEPLOY = {
  DEPLOY_CERTIFICATES: `${GONE} kt=kt.example.com`,
  DEPLOY_HTTPS_CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
};

interface StoredRecord {
  keyType: string;
  serial: string;
  acm: { region: string; certificateArn: string }[];
  exports?: { kind: string; id: string; version: string }[];
  retiredAcm?: { certificateArn: string }[];
}
const record = async (name: string) => {
  const text = await aws.read(`renewal/${name}.json`);
  return text === undefined ? undefined : (JSON.parse(text) as StoredRecord);
};
const listenerCertificates = async () => ((await elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listenerArn }))).Certificates ?? []).map((c) => c.CertificateArn!);
const inAcm = async (region: string, arn: string) =>
  acm[region]!.send(new DescribeCertificateCommand({ CertificateArn: arn })).then(
    (d) => d.Certificate!,
    (error: unknown) => {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    },
  );
const steps = (result: CliResult) => result.events.filter((e) => e.event === 'step' && e.ok === true).map((e) => String(e.step));
const output = (result: CliResult) => result.stderr + result.stdout.slice(-3000);

beforeAll(async () => {
  stack = await startLocalStack({ name: 'cleanup', deploy: DEPLOY });
  aws = clientsFor(stack);
  const settings = { region: 'us-east-1', endpoint: stack.env.AWS_ENDPOINT_URL!, credentials: adminCredentials(stack) };
  elb = new ElasticLoadBalancingV2Client(settings);
  secrets = new SecretsManagerClient(settings);
  ssm = new SSMClient(settings);
  for (const region of ['us-east-1', 'us-west-2']) acm[region] = new ACMClient({ ...settings, region });
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
  const placeholder = await runCli(stack, ['issue', '--name', 'placeholder', '--domain', 'placeholder.example.com']);
  expect(placeholder.code, output(placeholder)).toBe(0);
  placeholderArn = String(eventOf(placeholder, 'issued').acmArn);

  const ec2 = new EC2Client(settings);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
  const subnets = await Promise.all(['a', 'b'].map((zone, i) => ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: `10.30.${i}.0/24`, AvailabilityZone: `us-east-1${zone}` }))));
  const alb = await elb.send(new CreateLoadBalancerCommand({ Name: 'acme-cleanup', Type: 'application', Scheme: 'internet-facing', Subnets: subnets.map((s) => s.Subnet!.SubnetId!) }));
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: alb.LoadBalancers![0]!.LoadBalancerArn!,
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: placeholderArn }],
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
    }),
  );
  listenerArn = listener.Listeners![0]!.ListenerArn!;
  subnetId = subnets[0]!.Subnet!.SubnetId!;
  const kmsKeyArn = (await new KMSClient(settings).send(new CreateKeyCommand({ Description: 'cleanup' }))).KeyMetadata!.Arn!;
  await stack.iam?.apply({ resources: { httpsListenerArn: listenerArn, exportKeyArn: kmsKeyArn } });
  base = { HTTPS_LISTENER_ARN: listenerArn, EXPORT_KMS_KEY_ID: kmsKeyArn };
}, 180_000);
afterAll(async () => stack?.stop());

describe('delete takes away what the issuer made', () => {
  let made: StoredRecord;
  let secretArn: string;

  it('starts from a certificate in two ACM regions, on the listener, in Secrets Manager and in SSM', async () => {
    const issued = await runCli(stack, ['renew', 'gone'], { ...base, CERTIFICATES: GONE });
    expect(issued.code, output(issued)).toBe(0);
    made = (await record('gone'))!;
    expect(made.acm.map((r) => r.region)).toEqual(['us-east-1', 'us-west-2']);
    expect(made.exports!.map((e) => e.kind)).toEqual(['secretsmanager', 'ssm', 'listener']);
    secretArn = made.exports![0]!.id;
    expect(await listenerCertificates()).toContain(made.acm[0]!.certificateArn);
  });

  it('an interrupted delete leaves the record, and running it again finishes: nothing of it is left but the archive', async () => {
    // Killed at the us-west-2 copy's delete, held at the proxy so the kill cannot come after the run
    // went on (a step event read late): the us-west-2 copy, the exports and the record remain.
    const proxy = new FaultProxy(Number(stack.env.MOTO_PORT));
    await proxy.up();
    let killed: CliResult;
    try {
      const run = startCli(stack, ['delete', 'gone'], { LEASE_SECONDS: '2', AWS_ENDPOINT_URL: proxy.endpoint });
      proxy.holdOnMutating(
        (_line, received) => /x-amz-target: CertificateManager\.DeleteCertificate/i.test(received) && received.includes('/us-west-2/acm/'),
        () => run.child.kill('SIGKILL'),
      );
      killed = await run.done;
    } finally {
      await proxy.down();
    }
    expect(killed.code, output(killed)).not.toBe(0);
    expect(await inAcm('us-east-1', made.acm[0]!.certificateArn)).toBeUndefined();
    expect(await inAcm('us-west-2', made.acm[1]!.certificateArn)).toBeDefined();
    expect(await record('gone')).toBeDefined();
    expect(await listenerCertificates()).not.toContain(made.acm[0]!.certificateArn);

    await new Promise((resolve) => setTimeout(resolve, 2500)); // the killed run's lease expires
    const again = await runCli(stack, ['delete', 'gone', '--recovery-days', '10']);
    expect(again.code, output(again)).toBe(0);
    const result = eventOf(again, 'deleted');
    expect(result).toMatchObject({ name: 'gone', secretArn, parametersDeleted: ['/acme/gone'] });
    expect(steps(again)).toEqual(expect.arrayContaining([`delete ${made.acm[1]!.certificateArn}`, `delete parameter /acme/gone`]));
    expect(again.events.find((e) => e.step === `delete ${made.acm[0]!.certificateArn}`)).toBeUndefined(); // found gone, not deleted twice

    // Secrets Manager: scheduled, restorable until the date the output names.
    const secret = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    expect(secret.DeletedDate).toBeInstanceOf(Date);
    const goneOn = new Date(String(result.secretDeletedOn));
    expect(Math.abs(goneOn.getTime() - (Date.now() + 10 * 86_400_000))).toBeLessThan(120_000);
    expect(String(result.secretRestore)).toBe(`aws secretsmanager restore-secret --region us-east-1 --secret-id ${secretArn} (until ${goneOn.toISOString()})`);
    await expect(ssm.send(new GetParameterCommand({ Name: '/acme/gone', WithDecryption: true }))).rejects.toBeInstanceOf(ParameterNotFound);
    expect(await listenerCertificates()).not.toContain(made.acm[1]!.certificateArn);
    expect((await listenerCertificates()).filter((arn) => made.acm.some((r) => r.certificateArn === arn))).toEqual([]);
    expect(await inAcm('us-west-2', made.acm[1]!.certificateArn)).toBeUndefined();
    expect(await record('gone')).toBeUndefined();
    expect(await aws.read('live/gone/metadata.json')).toBeUndefined();
    expect(JSON.parse((await aws.read('renewal/_index.json'))!).entries.gone).toBeUndefined();
    expect(await aws.list('archive/gone/')).not.toEqual([]);
  });

  it('is refused while something else uses the certificate in ACM (InUseBy), and nothing is deleted', async () => {
    const issued = await runCli(stack, ['issue', '--name', 'used', '--domain', 'used.example.com', '--skip-preflight'], base);
    expect(issued.code, output(issued)).toBe(0);
    const arn = (await record('used'))!.acm[0]!.certificateArn;
    const user = await classicLoadBalancerUsing(stack, 'someone-else', arn, subnetId);
    const refused = await runCli(stack, ['delete', 'used']);
    expect(refused.code, output(refused)).toBe(2);
    expect(String(eventOf(refused, 'error').message)).toBe(`"used" is in use in ACM (${arn}) by:\n  - ${user}`);
    expect(steps(refused).filter((step) => /^(detach|delete)/.test(step))).toEqual([]);
    expect(await inAcm('us-east-1', arn)).toBeDefined();
    expect(await listenerCertificates()).toContain(arn);
    expect(await record('used')).toBeDefined();
  });

  it("a recovery window outside Secrets Manager's 7-30 days is refused before anything is done", async () => {
    const result = await runCli(stack, ['delete', 'placeholder', '--recovery-days', '3']);
    expect(result.code).toBe(2);
    expect(String(eventOf(result, 'error').message)).toMatch(/--recovery-days "3" is not valid; expected a whole number of days from 7 to 30/);
    expect(await record('placeholder')).toBeDefined();
  });
});

describe('a key-type change through renew', () => {
  it('issues into a new ACM ARN, moves the listener to it, records it, and deletes the old ARN', async () => {
    const first = await runCli(stack, ['renew', 'kt'], { ...base, CERTIFICATES: 'kt=kt.example.com;key=rsa-2048' });
    expect(first.code, output(first)).toBe(0);
    const before = (await record('kt'))!;
    const oldArn = before.acm[0]!.certificateArn;
    expect((await inAcm('us-east-1', oldArn))!.KeyAlgorithm).toBe('RSA_2048');
    expect(await listenerCertificates()).toContain(oldArn);

    const changed = await runCli(stack, ['renew'], { ...base, CERTIFICATES: 'kt=kt.example.com;key=ec-p256' });
    expect(changed.code, output(changed)).toBe(0);
    const after = (await record('kt'))!;
    const newArn = after.acm[0]!.certificateArn;
    expect(newArn).not.toBe(oldArn);
    expect(after.keyType).toBe('ec-p256');
    expect((await inAcm('us-east-1', newArn))!.KeyAlgorithm).toBe('EC_prime256v1');
    expect(steps(changed)).toEqual(expect.arrayContaining([`import into ACM us-east-1 under a new ARN (replaces ${oldArn})`, `delete the old ${oldArn}`]));
    expect(steps(changed)).not.toContain('re-import into ACM us-east-1 (same ARN)');

    // The listener serves the new ARN and no longer the old; the record and the index say so.
    const attached = await listenerCertificates();
    expect(attached).toContain(newArn);
    expect(attached).not.toContain(oldArn);
    expect(after.exports!.find((e) => e.kind === 'listener')!.version).toBe(newArn);
    expect(after.retiredAcm).toBeUndefined();
    const entry = JSON.parse((await aws.read('renewal/_index.json'))!).entries.kt;
    expect(entry.acmArns).toEqual([newArn]);
    expect(entry.retiredAcmArns).toBeUndefined();
    expect(await inAcm('us-east-1', oldArn)).toBeUndefined();

    // The output names both.
    const report = changed.events.find((e) => e.event === 'certificate' && e.name === 'kt')!;
    expect(report).toMatchObject({ action: 'renewed', reason: 'the key type changed to ec-p256', replacedAcmArns: [oldArn] });
    const replaced = changed.events.find((e) => e.event === 'info' && e.acmReplaced !== undefined);
    expect(replaced!.acmReplaced).toEqual({ region: 'us-east-1', oldArn, newArn, status: 'deleted' });
  });

  it('keeps an old ARN something else still uses, recorded as pending deletion, and tries it again on later runs', async () => {
    const first = await runCli(stack, ['renew', 'ktu'], { ...base, CERTIFICATES: 'ktu=ktu.example.com;key=rsa-2048' });
    expect(first.code, output(first)).toBe(0);
    const oldArn = (await record('ktu'))!.acm[0]!.certificateArn;
    const user = await classicLoadBalancerUsing(stack, 'old-user', oldArn, subnetId);

    const changed = await runCli(stack, ['renew', 'ktu'], { ...base, CERTIFICATES: 'ktu=ktu.example.com;key=ec-p256' });
    expect(changed.code, output(changed)).toBe(0);
    const after = (await record('ktu'))!;
    const newArn = after.acm[0]!.certificateArn;
    expect(newArn).not.toBe(oldArn);
    expect(after.retiredAcm).toEqual([expect.objectContaining({ region: 'us-east-1', certificateArn: oldArn, replacedBy: newArn, inUseBy: [user] })]);
    expect(JSON.parse((await aws.read('renewal/_index.json'))!).entries.ktu.retiredAcmArns).toEqual([oldArn]);
    expect(await inAcm('us-east-1', oldArn)).toBeDefined();
    // ours is moved all the same: the listener holds the new ARN only
    expect(await listenerCertificates()).toContain(newArn);
    expect(await listenerCertificates()).not.toContain(oldArn);
    const kept = { region: 'us-east-1', oldArn, newArn, status: 'kept', keptBecause: `in use by ${user}` };
    expect(changed.events.find((e) => e.event === 'info' && e.acmReplaced !== undefined)!.acmReplaced).toEqual(kept);

    // A later run with nothing due tries again (and keeps it: it is still in use).
    const later = await runCli(stack, ['renew', 'ktu'], { ...base, CERTIFICATES: 'ktu=ktu.example.com;key=ec-p256' });
    expect(later.code, output(later)).toBe(0);
    expect(later.events.find((e) => e.event === 'certificate' && e.name === 'ktu')).toMatchObject({ action: 'skipped' });
    expect(later.events.find((e) => e.event === 'info' && e.acmReplaced !== undefined)!.acmReplaced).toEqual(kept);

    const shown = await runCli(stack, ['show', 'ktu']);
    expect(eventOf(shown, 'certificate').acmPendingDeletion).toEqual([`us-east-1 ${oldArn} (replaced by ${newArn}; in use by ${user})`]);

    // delete knows of the old ARN too, and refuses while it is in use.
    const refused = await runCli(stack, ['delete', 'ktu']);
    expect(refused.code, output(refused)).toBe(2);
    expect(String(eventOf(refused, 'error').message)).toContain(`is in use in ACM (${oldArn}) by:\n  - ${user}`);
  });

  it('issue --new-arn says the ARN changed (never "same ARN"); without it a key-type change is refused before ordering', async () => {
    const before = (await record('kt'))!;
    const refused = await runCli(stack, ['issue', '--name', 'kt', '--domain', 'kt.example.com', '--key-type', 'rsa-2048', '--skip-preflight'], base);
    expect(refused.code, output(refused)).toBe(2);
    expect(String(eventOf(refused, 'error').message)).toMatch(/"kt" is ec-p256 in ACM .*ACM cannot re-import a rsa-2048 certificate into the same ARN/);
    expect((await record('kt'))!.serial).toBe(before.serial);

    const moved = await runCli(stack, ['issue', '--name', 'kt', '--domain', 'kt.example.com', '--key-type', 'rsa-2048', '--new-arn', '--skip-preflight'], base);
    expect(moved.code, output(moved)).toBe(0);
    const oldArn = before.acm[0]!.certificateArn;
    const newArn = (await record('kt'))!.acm[0]!.certificateArn;
    expect(newArn).not.toBe(oldArn);
    expect(eventOf(moved, 'issued')).toMatchObject({ acmArn: newArn, replacedAcmArns: [`${oldArn} → ${newArn}: deleted`] });
    expect(steps(moved).some((s) => s.includes('same ARN'))).toBe(false);
    expect(await listenerCertificates()).toContain(newArn);
    expect(await listenerCertificates()).not.toContain(oldArn);
  });

  it('renew refuses --new-arn instead of ignoring it', async () => {
    const result = await runCli(stack, ['renew', 'kt', '--new-arn'], { CERTIFICATES: 'kt=kt.example.com;key=rsa-2048' });
    expect(result.code).toBe(2);
    expect(String(eventOf(result, 'error').message)).toMatch(/renew takes no --new-arn/);
  });
});

describe('a lease another issuer holds', () => {
  it('renew exits 7 and leaves the certificate alone', async () => {
    const held = { CERTIFICATES: 'held=held.example.com' };
    const issued = await runCli(stack, ['renew', 'held'], held);
    expect(issued.code, output(issued)).toBe(0);
    const before = (await record('held'))!;
    // As another issuer's withLease writes it (container/certificates/lease.ts), still valid.
    await aws.write('locks/held.json', `${JSON.stringify({ holder: 'another-issuer', expiresAt: new Date(Date.now() + 600_000).toISOString() })}\n`);
    const result = await runCli(stack, ['renew', 'held', '--force'], held);
    expect(result.code, output(result)).toBe(7);
    expect(result.events.find((e) => e.event === 'certificate' && e.name === 'held')).toMatchObject({ action: 'locked', code: 'ERR_LOCK_HELD' });
    expect(eventOf(result, 'renew-summary')).toMatchObject({ locked: 1, failed: 0 });
    expect((await record('held'))!.serial).toBe(before.serial);
    expect(JSON.parse((await aws.read('locks/held.json'))!).holder).toBe('another-issuer');

    // A failure in the same run wins: its code needs a fix, the held lease only a later run.
    // (The SSM export under a path the task role may not write is refused: exit 11.)
    const both = await runCli(stack, ['renew', '--force'], {
      ...base,
      CERTIFICATES: 'held=held.example.com denied=denied.example.com;export=ssm',
      EXPORT_SSM_PREFIX: '/elsewhere/',
    });
    expect(both.code, output(both)).toBe(11);
    expect(eventOf(both, 'renew-summary')).toMatchObject({ locked: 1, failed: 1 });
  });
});
