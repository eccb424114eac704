// lib/core/records.ts: every state change is one history entry, with time and cause, bounded.
import { describe, expect, it } from 'vitest';
import { MAX_HISTORY, withState, type RenewalRecord } from '../../lib/core/index.js';

const base: RenewalRecord = {
  name: 'shop',
  domains: ['shop.example.com'],
  keyType: 'ec-p256',
  directoryUrl: 'https://ca.example/dir',
  state: 'pending',
  serial: undefined,
  notAfter: undefined,
  acm: [],
  lastError: undefined,
  history: [{ at: '2030-01-01T00:00:00.000Z', state: 'pending', cause: 'issue command' }],
  updatedAt: '2030-01-01T00:00:00.000Z',
};

describe('withState', () => {
  it.each([
    ['pending', 'issuing', 'not issued yet'],
    ['issuing', 'active', 'issued serial 0a'],
    ['active', 'renewal-due', 'renewal due since …'],
    ['issuing', 'failed', 'ERR_VALIDATION_FAILED'],
    ['active', 'revoked', 'keyCompromise'],
  ] as const)('%s → %s records the state, the time and the cause, and changes nothing else', (from, to, cause) => {
    const at = new Date('2030-01-02T03:04:05.000Z');
    const before = { ...base, state: from };
    const after = withState(before, to, cause, at);
    expect(after.state).toBe(to);
    expect(after.updatedAt).toBe(at.toISOString());
    expect(after.history.at(-1)).toEqual({ at: at.toISOString(), state: to, cause });
    expect(after.history.slice(0, -1)).toEqual(before.history);
    expect({ ...after, state: before.state, updatedAt: before.updatedAt, history: before.history }).toEqual(before);
    expect(before.history).toHaveLength(1); // the input is not changed
  });

  it(`keeps the last ${MAX_HISTORY} transitions`, () => {
    let record = base;
    for (let i = 0; i < MAX_HISTORY + 7; i++) record = withState(record, i % 2 === 0 ? 'issuing' : 'active', `step ${i}`, new Date(Date.UTC(2030, 0, 1, 0, i)));
    expect(record.history).toHaveLength(MAX_HISTORY);
    expect(record.history.at(-1)!.cause).toBe(`step ${MAX_HISTORY + 6}`);
    // 1 + 57 transitions, the last 50 kept: the first (pending) and steps 0 to 6 are gone.
    expect(record.history[0]!.cause).toBe('step 7');
  });
});
