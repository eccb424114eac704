// The hand-over to consumers reading S3 (docs/consuming.md §5): a reader process hammers
// live/NAME/ in five ways at once (cert.pem then privkey.pem, the reverse, fullchain.pem with
// privkey.pem, bundle.json, the pointer then the bundle it names) while the real CLI renews the
// certificate again and again. With the key reused on renewal, no way of reading ever pairs a
// certificate with a key that is not its own; with --rotate-key, bundle.json and the read
// protocol still never do. The reader is shown to catch a mismatched pair when there is one.
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import type { PatternCounts } from '../support/live-reader.js';
import { repoRoot, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

const NAME = 'torn';
const SAFE_ALWAYS = ['bundle.json', 'metadata.json, then the bundle it names'];
const SEPARATE_FILES = ['cert.pem then privkey.pem', 'privkey.pem then cert.pem', 'fullchain.pem and privkey.pem at once'];

let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let firstSerial: string;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'handover', extraEnv: { CERTIFICATES: `${NAME}=torn.example.com` } });
  aws = clientsFor(stack);
  expect((await runCli(stack, ['register'])).code).toBe(0);
  firstSerial = serialOf(await runCli(stack, ['renew']), 'issued');
}, 180_000);
afterAll(async () => stack?.stop());

function serialOf(result: CliResult, action: string): string {
  const row = result.events.find((e) => e.event === 'certificate' && e.name === NAME);
  expect(row?.action, result.stdout.slice(-2000) + result.stderr).toBe(action);
  return String(row!.serial);
}

/** The consumer: tests/support/live-reader.ts as its own process, with the admin's keys (a consumer is not the issuer). */
function startReader(): { ready: Promise<void>; stop(): Promise<Record<string, PatternCounts>> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/live-reader.ts'], {
    cwd: repoRoot,
    env: { ...stack.env, READ_NAME: NAME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the reader exited (${code}) before it was ready: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    ready,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      const last = stdout.trim().split('\n').at(-1)!;
      return JSON.parse(last) as Record<string, PatternCounts>;
    },
  };
}

/** Runs `work` while the reader reads, and returns what it counted. */
async function whileReading(work: () => Promise<void>): Promise<Record<string, PatternCounts>> {
  const reader = startReader();
  await reader.ready;
  try {
    await work();
  } catch (error) {
    await reader.stop();
    throw error;
  }
  return reader.stop();
}

describe('a reader of live/ during renewals', () => {
  it("never gets a key that is not the certificate's, in any way of reading, during 20 forced renewals", async () => {
    const keyBefore = await aws.read(`live/${NAME}/privkey.pem`);
    const serials = [firstSerial];
    const counts = await whileReading(async () => {
      for (let i = 0; i < 20; i++) serials.push(serialOf(await runCli(stack, ['renew', '--force', NAME]), 'renewed'));
    });
    expect(new Set(serials).size).toBe(21);
    // The key was reused: privkey.pem never changed, so no order of reads could tear a pair.
    expect(await aws.read(`live/${NAME}/privkey.pem`)).toBe(keyBefore);
    for (const [pattern, tally] of Object.entries(counts)) {
      expect(tally.mismatches, pattern).toBe(0);
      expect(tally.unreadable, pattern).toBe(0);
      // It read all along: many of the 21 certificates were seen, not only the first and the last.
      expect(tally.serials.length, `${pattern}: ${JSON.stringify(tally)}`).toBeGreaterThanOrEqual(10);
    }
    const reads = Object.values(counts).reduce((sum, tally) => sum + tally.reads, 0);
    recordReliability({ suite: 'handover', kind: 'fault', class: 'reads of live/ (five ways) during 20 forced renewals', tried: reads, survived: reads, objectsLost: 0 });

    // The pointer names the version's bundle, and the live copy is that object byte for byte.
    const pointer = JSON.parse((await aws.read(`live/${NAME}/metadata.json`))!) as { serial: string; bundleKey: string };
    expect(pointer).toMatchObject({ serial: serials.at(-1), bundleKey: `archive/${NAME}/${serials.at(-1)}/bundle.json` });
    expect(await aws.read(`live/${NAME}/bundle.json`)).toBe(await aws.read(pointer.bundleKey));
  }, 300_000);

  it('with --rotate-key the key changes every time, and bundle.json and the read protocol still never mismatch', async () => {
    const keys = new Set([await aws.read(`live/${NAME}/privkey.pem`)]);
    const counts = await whileReading(async () => {
      for (let i = 0; i < 5; i++) {
        serialOf(await runCli(stack, ['renew', '--force', '--rotate-key', NAME]), 'renewed');
        keys.add(await aws.read(`live/${NAME}/privkey.pem`));
      }
    });
    expect(keys.size).toBe(6);
    for (const pattern of SAFE_ALWAYS) {
      expect(counts[pattern]!.mismatches, pattern).toBe(0);
      expect(counts[pattern]!.unreadable, pattern).toBe(0);
      expect(counts[pattern]!.serials.length, pattern).toBeGreaterThanOrEqual(3);
    }
    // Separate files may tear while the key rotates (docs/consuming.md says so); nothing is asserted about them here.
    const torn = SEPARATE_FILES.reduce((sum, pattern) => sum + counts[pattern]!.mismatches, 0);
    const reads = SEPARATE_FILES.reduce((sum, pattern) => sum + counts[pattern]!.reads, 0);
    recordReliability({ suite: 'handover', kind: 'fault', class: 'separate-file reads of live/ during 5 key rotations (may tear; documented)', tried: reads, survived: reads - torn, objectsLost: 0 });
  }, 180_000);

  it("the reader does catch a key that is not the certificate's (written into live/ by the test), and `renew NAME` puts the archived one back", async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const counts = await whileReading(async () => {
      await aws.write(`live/${NAME}/privkey.pem`, privateKey);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    for (const pattern of SEPARATE_FILES) expect(counts[pattern]!.mismatches, pattern).toBeGreaterThan(0);
    for (const pattern of SAFE_ALWAYS) expect(counts[pattern]!.mismatches, pattern).toBe(0);

    const pointer = JSON.parse((await aws.read(`live/${NAME}/metadata.json`))!) as { serial: string };
    const healed = await runCli(stack, ['renew', NAME]);
    expect(healed.code, healed.stdout.slice(-2000)).toBe(0);
    expect(serialOf(healed, 'skipped')).toBe(pointer.serial);
    expect(healed.events.map((e) => e.message)).toContain(`rewrote live/${NAME}/privkey.pem from archive/${NAME}/${pointer.serial}/privkey.pem: it was different from the archived version`);
    expect(await aws.read(`live/${NAME}/privkey.pem`)).toBe(await aws.read(`archive/${NAME}/${pointer.serial}/privkey.pem`));
  }, 120_000);

  it('a new key after revoke --reason keyCompromise (recorded until the next issuance) and when the key type changes; kept again after', async () => {
    const key = () => aws.read(`live/${NAME}/privkey.pem`);
    const record = async () => JSON.parse((await aws.read(`renewal/${NAME}.json`))!) as { state: string; rotateKey?: boolean };
    const compromised = await key();
    const revoked = await runCli(stack, ['revoke', NAME, '--reason', 'keyCompromise']);
    expect(revoked.code, revoked.stdout.slice(-2000)).toBe(0);
    expect(await record()).toMatchObject({ state: 'revoked', rotateKey: true });

    const replaced = await runCli(stack, ['renew', NAME]);
    expect(replaced.code, replaced.stdout.slice(-2000)).toBe(0);
    const fresh = await key();
    expect(fresh).not.toBe(compromised);
    expect(replaced.events.map((e) => e.message)).toContain('ordering with a new private key');
    expect((await record()).rotateKey).toBeUndefined();
    serialOf(await runCli(stack, ['renew', '--force', NAME]), 'renewed');
    expect(await key()).toBe(fresh);

    // ACM cannot change the key algorithm in place (another matter); S3 alone shows the key.
    const rsa = await runCli(stack, ['renew', NAME], { CERTIFICATES: `${NAME}=torn.example.com;key=rsa-2048`, ACM_IMPORT: 'false' });
    expect(rsa.code, rsa.stdout.slice(-2000)).toBe(0);
    expect(createPrivateKey((await key())!).asymmetricKeyType).toBe('rsa');
    const pointer = JSON.parse((await aws.read(`live/${NAME}/metadata.json`))!) as { bundleKey: string };
    const bundle = JSON.parse((await aws.read(pointer.bundleKey))!) as { keyAlgorithm: string; privateKey: string };
    expect(bundle).toMatchObject({ keyAlgorithm: 'RSA 2048', privateKey: await key() });
  }, 120_000);
});
