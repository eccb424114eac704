// Which certificates a run asks ARI about (container/certificates/ari-check.ts ariDue), as a table:
// the CA's Retry-After is kept by the sweep, an operator naming a certificate asks at once, and a
// certificate whose CA has no ARI (no check time) or that was revoked is never asked.
import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../../../lib/core/index.js';
import { ariDue } from '../../../container/certificates/ari-check.js';

const now = new Date('2027-03-19T12:00:00Z');
const entry = (changes: Partial<IndexEntry>): IndexEntry => ({
  state: 'active',
  domainsKey: 'shop.example.com',
  keyType: 'ec-p256',
  directoryUrl: 'https://ca.example/dir',
  serial: '0abc',
  notAfter: '2027-05-01T00:00:00Z',
  renewAt: '2027-04-10T00:00:00Z',
  retryAt: undefined,
  ariCheckAt: '2027-03-19T11:00:00Z',
  ...changes,
});

describe('ariDue', () => {
  it.each([
    ['Retry-After passed', entry({}), false, true],
    ['Retry-After passed exactly now', entry({ ariCheckAt: now.toISOString() }), false, true],
    ['Retry-After not passed yet', entry({ ariCheckAt: '2027-03-19T17:00:00Z' }), false, false],
    ['Retry-After not passed, but the certificate is named', entry({ ariCheckAt: '2027-03-19T17:00:00Z' }), true, true],
    ['the CA offers no ARI (no check time)', entry({ ariCheckAt: undefined }), true, false],
    ['never issued', entry({ serial: undefined }), true, false],
    ['revoked', entry({ state: 'revoked' }), true, false],
  ])('%s', (_case, indexEntry, named, due) => {
    expect(ariDue(indexEntry, now, named)).toBe(due);
  });

  it('no entry: nothing to ask about', () => {
    expect(ariDue(undefined, now, true)).toBe(false);
  });
});
