// A CA that misbehaves the ways real ones do: most nonces rejected (badNonce), a validation
// authority that sleeps before it validates, and authorizations reused from earlier orders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { liveState, settled } from '../support/invariants.js';
import { runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

const names = ['n1', 'n2', 'n3'];
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    name: 'cafaults',
    pebbleEnv: { PEBBLE_WFE_NONCEREJECT: '60', PEBBLE_VA_NOSLEEP: '0', PEBBLE_AUTHZREUSE: '100' },
    extraEnv: { CERTIFICATES: names.map((n) => `${n}=${n}.example.com,www.${n}.example.com`).join(' ') },
  });
});
afterAll(async () => stack?.stop());

describe('a CA rejecting 60% of nonces, sleeping before validation, reusing authorizations', () => {
  it('issues, then renews (with reused authorizations), every certificate settled', async () => {
    const aws = clientsFor(stack);
    let survived = 0;
    for (const args of [['renew'], ['renew', '--force']]) {
      const result = await runCli(stack, args);
      expect(result.code, result.stderr + result.stdout.slice(-2000)).toBe(0);
      for (const name of names) {
        const state = await liveState(aws, name);
        expect(settled(state), `${args.join(' ')}: ${name} ${JSON.stringify(state)}`).toBe(true);
      }
      survived += 1;
    }
    for (const name of names) expect((await liveState(aws, name)).archivedSerials).toHaveLength(2);
    recordReliability({ suite: 'ca-faults', kind: 'fault', class: 'pebble: 60% nonces rejected, VA sleeping, authorizations reused', tried: 2, survived, objectsLost: 0 });
  }, 180_000);
});
