// lib/core/renewal-index.ts: what a sweep decides from one index entry, in the order the rules
// apply, and how the index is changed and read.
import { describe, expect, it } from 'vitest';
import { EMPTY_INDEX, isIssuerError, parseRenewalIndex, sweepVerdict, withEntry, type IndexEntry } from '../../lib/core/index.js';

const now = new Date('2030-06-01T12:00:00.000Z');
const desired = { domainsKey: 'shop.example.com,www.shop.example.com', keyType: 'ec-p256', directoryUrls: ['https://ca.example/dir', 'https://second.example/dir'] };
const active: IndexEntry = {
  state: 'active',
  domainsKey: desired.domainsKey,
  keyType: desired.keyType,
  directoryUrl: desired.directoryUrls[0]!,
  serial: '0a',
  notAfter: '2030-07-01T00:00:00.000Z',
  renewAt: '2030-06-10T00:00:00.000Z',
  retryAt: undefined,
  ariCheckAt: undefined,
};
const later = '2030-06-02T00:00:00.000Z';
const earlier = '2030-05-01T00:00:00.000Z';

describe('sweepVerdict', () => {
  it.each<[string, IndexEntry | undefined, boolean, 'issue' | 'skip', string | RegExp]>([
    ['no entry', undefined, false, 'issue', 'not issued yet'],
    ['an entry without a serial', { ...active, serial: undefined, state: 'failed' }, false, 'issue', 'not issued yet'],
    ['forced', active, true, 'issue', 'forced'],
    ['left issuing by a run that died', { ...active, state: 'issuing' }, false, 'issue', 'an earlier run did not finish'],
    ['other names', { ...active, domainsKey: 'shop.example.com' }, false, 'issue', 'the set of names changed'],
    ['another key type', { ...active, keyType: 'rsa-2048' }, false, 'issue', 'the key type changed to ec-p256'],
    ['another CA', { ...active, directoryUrl: 'https://other.example/dir' }, false, 'issue', 'the CA changed'],
    // A failover's second CA issued it: not a change of CA, so not reissued before it is due.
    ['issued by the second CA of its list', { ...active, directoryUrl: 'https://second.example/dir' }, false, 'skip', `not due until ${active.renewAt}`],
    ['issued by the second CA, due', { ...active, directoryUrl: 'https://second.example/dir', renewAt: earlier }, false, 'issue', `renewal due since ${earlier}`],
    ['revoked', { ...active, state: 'revoked' }, false, 'issue', 'the certificate was revoked'],
    ['failed, retry time not reached', { ...active, state: 'failed', retryAt: later }, false, 'skip', `failed; next retry at ${later}`],
    ['failed, retry time passed', { ...active, state: 'failed', retryAt: earlier }, false, 'issue', 'retrying after a failure'],
    ['due', { ...active, renewAt: earlier }, false, 'issue', `renewal due since ${earlier}`],
    ['expired without a plan', { ...active, renewAt: undefined, notAfter: earlier }, false, 'issue', 'expired'],
    ['not due', active, false, 'skip', `not due until ${active.renewAt}`],
    // Order matters: a changed name set wins over a pending retry (the retry was for other names).
    ['other names while a retry is pending', { ...active, domainsKey: 'x.example.com', state: 'failed', retryAt: later }, false, 'issue', 'the set of names changed'],
  ])('%s', (_, entry, force, action, reason) => {
    const verdict = sweepVerdict(desired, entry, now, force);
    expect(verdict.action).toBe(action);
    if (typeof reason === 'string') expect(verdict.reason).toBe(reason);
    else expect(verdict.reason).toMatch(reason);
  });
});

describe('withEntry', () => {
  it('adds, replaces and removes one entry without touching the others or the input', () => {
    const one = withEntry(EMPTY_INDEX, 'shop', active);
    const two = withEntry(one, 'api', { ...active, serial: '0b' });
    expect(Object.keys(two.entries).sort()).toEqual(['api', 'shop']);
    const replaced = withEntry(two, 'shop', { ...active, serial: '0c' });
    expect(replaced.entries.shop!.serial).toBe('0c');
    expect(replaced.entries.api).toEqual(two.entries.api);
    const removed = withEntry(replaced, 'shop', undefined);
    expect(Object.keys(removed.entries)).toEqual(['api']);
    expect(two.entries.shop!.serial).toBe('0a');
    expect(EMPTY_INDEX.entries).toEqual({});
  });
});

describe('parseRenewalIndex', () => {
  it('reads what withEntry wrote', () => {
    const index = withEntry(EMPTY_INDEX, 'shop', active);
    expect(parseRenewalIndex('renewal/_index.json', JSON.stringify(index))).toEqual(index);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['the wrong shape', '{"version":1,"entries":{"shop":{"state":"nonsense"}}}'],
    ['an array', '[]'],
  ])('refuses %s as corrupt storage, saying it is rebuilt from the records', (_, text) => {
    let caught: unknown;
    try {
      parseRenewalIndex('renewal/_index.json', text);
    } catch (error) {
      caught = error;
    }
    expect(isIssuerError(caught, 'ERR_STORAGE_CORRUPT')).toBe(true);
    expect((caught as Error).message).toMatch(/renewal\/_index\.json/);
    expect((caught as { hint?: string }).hint).toMatch(/rebuilds it/);
  });
});
