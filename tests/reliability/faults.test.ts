// Faults made for real around issuance and renewal: S3/ACM unreachable before, during and after
// the order (a proxy in front of moto refuses connections: moto keeps its data in memory, so it
// cannot be restarted without losing the "previous certificate" under test), pebble restarted
// mid-order, one name of many failing validation, three issuers on one set at once, corrupted
// objects. After each: the previous live certificate is intact and matching, the state tells the
// truth, and a later run recovers by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { liveState, settled, type LiveState } from '../support/invariants.js';
import { eventOf, runCli, startCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { addA, challtestsrv, silentServerAt } from '../support/loopback.js';
import { recordReliability } from '../support/report.js';

const LEASE_SECONDS = 1;
const CERTIFICATES = 'f1=f1.example.com f2=f2.example.com,www.f2.example.com f3=f3.example.com,www.f3.example.com';
let stack: LocalStack;
let proxy: FaultProxy;
let aws: ReturnType<typeof clientsFor>;
let via: Record<string, string>;

const waitLease = () => new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 200));
const rows = (result: CliResult) => result.events.filter((e) => e.event === 'certificate');
const intact = (before: LiveState, after: LiveState) =>
  after.pointerPairMatches && after.serial === before.serial && after.acmSerial === before.acmSerial && before.archivedSerials.every((s) => after.archivedSerials.includes(s));

/** Runs a fault, checks the promises, recovers, and reports one line. */
async function survive(name: string, faultClass: string, inject: () => Promise<void>, check?: (after: LiveState, before: LiveState) => void, recoveryArgs: readonly string[] = ['renew']): Promise<void> {
  const before = await liveState(aws, name);
  let ok = false;
  try {
    await inject();
    const after = await liveState(aws, name);
    expect(after.pointerPairMatches, `${faultClass}: live pair broken`).toBe(true);
    expect(
      before.archivedSerials.every((s) => after.archivedSerials.includes(s)),
      `${faultClass}: archive lost`,
    ).toBe(true);
    check?.(after, before);
    await proxy.up();
    await waitLease();
    const recovery = await runCli(stack, recoveryArgs, via);
    expect(recovery.code, `${faultClass}: recovery ${recovery.stderr}${recovery.stdout.slice(-1500)}`).toBe(0);
    const recovered = await liveState(aws, name);
    expect(settled(recovered), `${faultClass}: not settled after recovery ${JSON.stringify(recovered)}`).toBe(true);
    ok = true;
  } finally {
    recordReliability({ suite: 'faults', kind: 'fault', class: faultClass, tried: 1, survived: ok ? 1 : 0, objectsLost: ok ? 0 : 1 });
  }
}

beforeAll(async () => {
  stack = await startLocalStack({ name: 'faults', extraEnv: { CERTIFICATES, LEASE_SECONDS: String(LEASE_SECONDS) } });
  aws = clientsFor(stack);
  proxy = new FaultProxy(Number(stack.env.MOTO_PORT));
  await proxy.up();
  via = { AWS_ENDPOINT_URL: proxy.endpoint };
  const first = await runCli(stack, ['renew'], via);
  expect(first.code, first.stderr).toBe(0);
});
afterAll(async () => {
  await proxy?.down();
  await stack?.stop();
});

describe('S3 and ACM unreachable', () => {
  it('before the order: a clear S3 error, exit 5, nothing changed', async () => {
    await survive(
      'f1',
      'S3 unreachable before the order',
      async () => {
        await proxy.down();
        const result = await runCli(stack, ['renew', '--force', 'f1'], via);
        expect(result.code).toBe(5);
        // The first object renew reads: the declared set's summary (then renewal/_index.json).
        expect(String(eventOf(result, 'error').message)).toMatch(/could not read s3:\/\/.*declared\/_index\.json \(.*ECONNREFUSED/);
      },
      (after, before) => expect(intact(before, after)).toBe(true),
    );
  });

  it('during the order: the previous certificate stays live; the next run issues', async () => {
    await survive(
      'f1',
      'S3 unreachable during the order',
      async () => {
        const run = startCli(stack, ['renew', '--force', 'f1'], via, (event) => {
          if (event.event === 'step' && event.step === 'create order') void proxy.down();
        });
        const result = await run.done;
        expect(result.code).toBe(5);
      },
      (after, before) => {
        expect(intact(before, after)).toBe(true);
        expect(after.indexState).toBe('issuing');
      },
    );
  });

  it('after the certificate is live in S3 but before ACM: the next run finishes the import without a new order', async () => {
    let published = '';
    await survive(
      'f2',
      'S3 and ACM unreachable after the order (before the ACM import)',
      async () => {
        const run = startCli(stack, ['renew', '--force', 'f2'], via, (event) => {
          if (event.event === 'step' && event.step === 'store in S3 (archive, then live)') {
            published = String(event.detail).replace('serial ', '');
            void proxy.down();
          }
        });
        const result = await run.done;
        expect(result.code).toBe(6);
      },
      (after, before) => {
        expect(after.serial).toBe(published);
        expect(after.acmSerial).toBe(before.acmSerial); // ACM still serves the previous, valid certificate
      },
    );
    expect((await liveState(aws, 'f2')).serial).toBe(published); // finished from the archive, not reordered
  });
});

describe('the CA', () => {
  it('restarted mid-order (its orders and accounts forgotten): the run fails cleanly, the next one registers again and issues', async () => {
    // The validation is held open (the name points at a server that accepts and never answers),
    // so the restart lands while the order is pending, whatever the machine's speed.
    const hang = await silentServerAt('127.0.0.3', stack.httpPort);
    await addA(stack, 'f1.example.com', '127.0.0.3');
    try {
      await survive(
        'f1',
        'pebble restarted mid-order',
        async () => {
          let restarted: Promise<unknown> | undefined;
          const run = startCli(stack, ['renew', '--force', '--skip-preflight', 'f1'], via, (event) => {
            if (event.event === 'step' && event.step === 'create order') {
              restarted = stack.service('stop', 'pebble').then(() => Promise.all([stack.service('start', 'pebble'), challtestsrv(stack, '/clear-a', { host: 'f1.example.com' })]));
            }
          });
          const result = await run.done;
          // The run may end before pebble is back (a slow machine): the next runs need it up.
          await restarted;
          expect([3, 4]).toContain(result.code);
          expect(JSON.parse((await aws.read('renewal/f1.json'))!)).toMatchObject({ state: 'failed', lastError: { code: expect.stringMatching(/ERR_(CA_UNAVAILABLE|ORDER_FAILED|VALIDATION_FAILED)/) } });
          // A scheduled run waits for the back-off (5 minutes after a first failure) ...
          expect(rows(await runCli(stack, ['renew', 'f1'], via))[0]).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/next retry/) });
        },
        (after, before) => expect(intact(before, after)).toBe(true),
        ['renew', '--force', 'f1'],
      ); // ... an operator need not.
    } finally {
      await hang.close();
    }
  });

  it('refusing validation of one name of many: nothing changes, the state names the domain, a forced run after the fix succeeds', async () => {
    await addA(stack, 'bad.f3.example.com', '127.0.0.2'); // nothing listens on 127.0.0.2
    const withBad = CERTIFICATES.replace('f3=f3.example.com,www.f3.example.com', 'f3=f3.example.com,bad.f3.example.com,www.f3.example.com');
    const before = await liveState(aws, 'f3');
    const result = await runCli(stack, ['renew', '--skip-preflight', 'f3'], { ...via, CERTIFICATES: withBad });
    expect(result.code).toBe(3);
    const after = await liveState(aws, 'f3');
    expect(intact(before, after)).toBe(true);
    const record = JSON.parse((await aws.read('renewal/f3.json'))!) as { state: string; lastError: { message: string }; retryAt: string; failedAttempts: number };
    expect(record).toMatchObject({ state: 'failed', failedAttempts: 1 });
    expect(record.lastError.message).toMatch(/bad\.f3\.example\.com/);
    expect(new Date(record.retryAt).getTime()).toBeGreaterThan(Date.now());
    // Until the back-off passes, a scheduled run leaves it alone.
    expect(rows(await runCli(stack, ['renew', 'f3'], { ...via, CERTIFICATES: withBad }))[0]).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/next retry/) });
    await waitLease();
    const fixed = await runCli(stack, ['renew', '--force', 'f3'], via);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(settled(await liveState(aws, 'f3'))).toBe(true);
    recordReliability({ suite: 'faults', kind: 'fault', class: 'validation fails for one name of many', tried: 1, survived: 1, objectsLost: 0 });
  });
});

describe('concurrency', () => {
  it('three issuers on the same set at once: every certificate settled, no version lost, no lease left', async () => {
    const before = await Promise.all(['f1', 'f2', 'f3'].map((n) => liveState(aws, n)));
    const results = await Promise.all([1, 2, 3].map(() => runCli(stack, ['renew', '--force'], via)));
    // 7 is a run that found some certificate's lease held by another of the three (docs/cli.md), and only that.
    for (const result of results) {
      const locked = rows(result).some((r) => r.action === 'locked');
      expect(result.code, result.stderr).toBe(locked ? 7 : 0);
    }
    let renewals = 0;
    for (const [i, name] of ['f1', 'f2', 'f3'].entries()) {
      const after = await liveState(aws, name);
      expect(settled(after), `${name}: ${JSON.stringify(after)}`).toBe(true);
      const renewedHere = results.flatMap(rows).filter((r) => r.name === name && r.action === 'renewed').length;
      renewals += renewedHere;
      expect(renewedHere).toBeGreaterThanOrEqual(1);
      expect(after.archivedSerials.length).toBe(before[i]!.archivedSerials.length + renewedHere);
    }
    const index = JSON.parse((await aws.read('renewal/_index.json'))!) as { entries: Record<string, unknown> };
    expect(Object.keys(index.entries).sort()).toEqual(['f1', 'f2', 'f3']);
    recordReliability({ suite: 'faults', kind: 'fault', class: 'three issuers on one set at once', tried: 3, survived: 3, objectsLost: 0 });
    expect(renewals).toBeGreaterThanOrEqual(3);
  });
});

// A corrupt renewal/_index.json is derived data and is rebuilt instead (tests/reliability/damaged-state.test.ts).
describe('corrupted objects in S3', () => {
  it.each([
    ['renewal/f1.json', '{"name": "f1", "dom', ['renew', '--force', 'f1']],
    ['account/key.pem', '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', ['register']],
  ])('%s: a clear error naming it, exit 5, and the object is left as it was', async (key, garbage, args) => {
    const original = (await aws.read(key))!;
    await aws.write(key, garbage);
    let ok = false;
    try {
      const result = await runCli(stack, args, via);
      expect(result.code).toBe(5);
      expect(String(eventOf(result, 'error').message)).toContain(key);
      expect(await aws.read(key)).toBe(garbage);
      ok = true;
    } finally {
      await aws.write(key, original);
      recordReliability({ suite: 'faults', kind: 'fault', class: `corrupt ${key}`, tried: 1, survived: ok ? 1 : 0, objectsLost: 0 });
    }
    expect((await runCli(stack, args.includes('register') ? ['register'] : ['renew'], via)).code).toBe(0);
  });

  it('account/jwk.json truncated: the responder answers 503 rather than a wrong thumbprint, and register rebuilds it from the key', async () => {
    const original = (await aws.read('account/jwk.json'))!;
    await aws.write('account/jwk.json', original.slice(0, 20));
    const probe = await fetch(`http://127.0.0.1:${stack.httpPort}/.well-known/acme-challenge/${'A'.repeat(43)}`);
    // The adapter's handler may hold the thumbprint cached (JWK_REFRESH_SECONDS); a cold one must not guess.
    expect([200, 503]).toContain(probe.status);
    if (probe.status === 200) expect(await probe.text()).toMatch(/^A{43}\.[A-Za-z0-9_-]{43}$/);
    const result = await runCli(stack, ['register'], via);
    expect(result.code).toBe(0);
    expect(await aws.read('account/jwk.json')).toBe(original);
    recordReliability({ suite: 'faults', kind: 'fault', class: 'corrupt account/jwk.json', tried: 1, survived: 1, objectsLost: 0 });
  });
});
