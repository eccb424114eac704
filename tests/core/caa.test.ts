// RFC 8659 (which RRset applies, issue/issuewild, the critical flag) and RFC 8657 (accounturi,
// validationmethods) as table tests of the pure core; the DNS side is tested through
// challtestsrv in tests/e2e/caa.test.ts.
import { describe, expect, it } from 'vitest';
import { CAA_IDENTITY_PLACEHOLDER, caaLookupNames, caaPin, caaPinRecords, evaluateCaa, parseIssueValue, relevantCaa, type CaaRecord, type RelevantCaa } from '../../lib/core/caa.js';

const ACCOUNT = 'https://acme-v02.api.letsencrypt.org/acme/acct/123';
const LE = { identities: ['letsencrypt.org'], accountUrl: ACCOUNT };
const issue = (value: string, flags = 0): CaaRecord => ({ flags, tag: 'issue', value });
const at = (records: CaaRecord[], name = 'example.com'): RelevantCaa => ({ at: name, records });

describe('caaLookupNames: from the name up to, not including, the root', () => {
  it.each([
    ['www.shop.example.com', ['www.shop.example.com', 'shop.example.com', 'example.com', 'com']],
    ['Example.COM.', ['example.com', 'com']],
    ['*.example.com', ['example.com', 'com']],
    ['localhost', ['localhost']],
  ])('%s', (name, expected) => {
    expect(caaLookupNames(name)).toEqual(expected);
  });
});

describe('relevantCaa: the first non-empty RRset walking up', () => {
  const zone = new Map<string, CaaRecord[]>([
    ['example.com', [issue('letsencrypt.org')]],
    ['deep.sub.example.com', [issue('sectigo.com')]],
  ]);
  const asked: string[] = [];
  const lookup = (name: string) => {
    asked.push(name);
    return Promise.resolve(zone.get(name) ?? []);
  };

  it('takes the parent when the name has none, and stops there', async () => {
    asked.length = 0;
    expect(await relevantCaa('a.b.example.com', lookup)).toEqual({ at: 'example.com', records: [issue('letsencrypt.org')] });
    expect(asked).toEqual(['a.b.example.com', 'b.example.com', 'example.com']);
  });

  it('takes the name itself first, and never looks above it', async () => {
    asked.length = 0;
    expect((await relevantCaa('deep.sub.example.com', lookup))?.at).toBe('deep.sub.example.com');
    expect(asked).toEqual(['deep.sub.example.com']);
  });

  it('is undefined when no name up to the TLD has CAA', async () => {
    expect(await relevantCaa('www.example.org', lookup)).toBeUndefined();
  });

  it('passes a failed lookup on: the walk does not skip a name it could not read', async () => {
    const failing = (name: string) => (name === 'b.example.com' ? Promise.reject(new Error('SERVFAIL')) : lookup(name));
    await expect(relevantCaa('a.b.example.com', failing)).rejects.toThrow('SERVFAIL');
  });
});

describe('parseIssueValue (RFC 8659 §4.2)', () => {
  it.each([
    ['letsencrypt.org', { issuer: 'letsencrypt.org', parameters: {} }],
    [' LetsEncrypt.org. ', { issuer: 'letsencrypt.org', parameters: {} }],
    [';', { issuer: undefined, parameters: {} }],
    ['letsencrypt.org; accounturi=https://x/acct/1 ; validationmethods=http-01,dns-01', { issuer: 'letsencrypt.org', parameters: { accounturi: 'https://x/acct/1', validationmethods: 'http-01,dns-01' } }],
    ['letsencrypt.org;AccountURI = https://x/acct/1;', { issuer: 'letsencrypt.org', parameters: { accounturi: 'https://x/acct/1' } }],
  ])('%j', (value, expected) => {
    const parsed = parseIssueValue(value);
    expect(parsed && { issuer: parsed.issuer, parameters: Object.fromEntries(parsed.parameters) }).toEqual(expected);
  });

  it.each(['lets encrypt.org', 'letsencrypt.org; accounturi', 'letsencrypt.org; accounturi=a; accounturi=b', '-bad-.org', 'letsencrypt.org; x=has space'])('%j is malformed', (value) => {
    expect(parseIssueValue(value)).toBeUndefined();
  });
});

describe('evaluateCaa', () => {
  it('allows when no CAA exists, or the RRset has no issue property', () => {
    expect(evaluateCaa('example.com', undefined, LE)).toMatchObject({ allowed: true, at: undefined, by: undefined });
    expect(evaluateCaa('example.com', at([{ flags: 0, tag: 'iodef', value: 'mailto:sec@example.com' }]), LE)).toMatchObject({ allowed: true, at: 'example.com', by: undefined });
  });

  it.each([
    ['the CA by name', [issue('letsencrypt.org')]],
    ['the CA, case and trailing dot aside', [issue('LetsEncrypt.Org.')]],
    ['the CA and our account', [issue(`letsencrypt.org; accounturi=${ACCOUNT}`)]],
    ['the CA, our account and http-01', [issue(`letsencrypt.org; accounturi=${ACCOUNT}; validationmethods=http-01`)]],
    ['http-01 among methods', [issue('letsencrypt.org; validationmethods=dns-01,http-01')]],
    ['one of several records', [issue('sectigo.com'), issue('letsencrypt.org; accounturi=https://other/acct/9'), issue(`letsencrypt.org; accounturi=${ACCOUNT}`)]],
    ['a tag in other case', [{ flags: 0, tag: 'ISSUE', value: 'letsencrypt.org' }]],
    ['unknown parameters ignored', [issue('letsencrypt.org; policy=ev')]],
    ['a known tag with the critical flag', [issue('letsencrypt.org', 128), { flags: 128, tag: 'iodef', value: 'mailto:a@b.c' }]],
    ['a non-critical unknown tag', [issue('letsencrypt.org'), { flags: 0, tag: 'futuretag', value: 'x' }]],
  ])('allows %s', (_, records) => {
    expect(evaluateCaa('www.example.com', at(records), LE)).toMatchObject({ allowed: true, caUnverified: false });
  });

  it.each([
    ['another CA only', [issue('sectigo.com')], 'ca', /CAA at example\.com lets only sectigo\.com issue for www\.example\.com \(issue\), not this CA \(letsencrypt\.org\)/],
    ['no CA at all', [issue(';')], 'ca', /CAA at example\.com forbids every CA to issue for www\.example\.com \(0 issue ";"\)/],
    ['a malformed record naming our CA', [issue('letsencrypt.org; accounturi')], 'ca', /forbids every CA/],
    [
      'another account',
      [issue('letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/999')],
      'account',
      /only to accounturi=https:\/\/acme-v02\.api\.letsencrypt\.org\/acme\/acct\/999, not to our account https:\/\/acme-v02\.api\.letsencrypt\.org\/acme\/acct\/123/,
    ],
    ['a method list without http-01', [issue(`letsencrypt.org; accounturi=${ACCOUNT}; validationmethods=dns-01,tls-alpn-01`)], 'method', /only by validationmethods=dns-01,tls-alpn-01, not http-01/],
    ['the critical flag on an unknown tag', [issue('letsencrypt.org'), { flags: 128, tag: 'tbs', value: 'x' }], 'critical', /sets the critical flag on the unknown tag "tbs"/],
  ])('refuses %s', (_, records, refusal, summary) => {
    const verdict = evaluateCaa('www.example.com', at(records), LE);
    expect(verdict).toMatchObject({ allowed: false, at: 'example.com', refusal });
    expect(verdict.allowed ? '' : verdict.summary).toMatch(summary);
  });

  it('issuewild governs wildcard names when present, issue otherwise, and never plain names', () => {
    const records = [issue('letsencrypt.org'), { flags: 0, tag: 'issuewild', value: ';' }];
    expect(evaluateCaa('*.example.com', at(records), LE)).toMatchObject({ allowed: false, refusal: 'ca' });
    expect(evaluateCaa('www.example.com', at(records), LE)).toMatchObject({ allowed: true });
    expect(evaluateCaa('*.example.com', at([issue('letsencrypt.org')]), LE)).toMatchObject({ allowed: true });
    expect(evaluateCaa('www.example.com', at([{ flags: 0, tag: 'issuewild', value: 'letsencrypt.org' }, issue('sectigo.com')]), LE)).toMatchObject({ allowed: false, refusal: 'ca' });
  });

  it('without the CA identities, a record naming any CA counts, but account and method still decide', () => {
    const unknownCa = { identities: [], accountUrl: ACCOUNT };
    expect(evaluateCaa('example.com', at([issue(`whatever.example; accounturi=${ACCOUNT}`)]), unknownCa)).toMatchObject({ allowed: true, caUnverified: true });
    expect(evaluateCaa('example.com', at([issue('whatever.example; accounturi=https://x/acct/2')]), unknownCa)).toMatchObject({ allowed: false, refusal: 'account' });
    expect(evaluateCaa('example.com', at([issue(';')]), unknownCa)).toMatchObject({ allowed: false, refusal: 'ca' });
  });
});

describe('the pin', () => {
  it('is one record per CA identity, with the account and http-01', () => {
    expect(caaPinRecords(['letsencrypt.org'], ACCOUNT)).toEqual([`0 issue "letsencrypt.org; accounturi=${ACCOUNT}; validationmethods=http-01"`]);
    expect(caaPinRecords(['a.example', 'b.example'], ACCOUNT)).toHaveLength(2);
  });

  it('allows exactly this account over HTTP-01 when published', () => {
    const [record] = caaPinRecords(['letsencrypt.org'], ACCOUNT);
    const value = /^0 issue "(.*)"$/.exec(record!)![1]!;
    expect(evaluateCaa('example.com', at([issue(value)]), LE)).toMatchObject({ allowed: true });
    expect(evaluateCaa('example.com', at([issue(value)]), { ...LE, accountUrl: `${ACCOUNT}4` })).toMatchObject({ allowed: false, refusal: 'account' });
  });

  it('names a placeholder and why when the directory lists no identity', () => {
    const pin = caaPin('https://ca.example/dir', ACCOUNT, []);
    expect(pin.records).toEqual([`0 issue "${CAA_IDENTITY_PLACEHOLDER}; accounturi=${ACCOUNT}; validationmethods=http-01"`]);
    expect(pin.note).toMatch(/lists no meta\.caaIdentities: replace <CA-CAA-DOMAIN> with the issuer domain your CA documents/);
    expect(caaPin('https://ca.example/dir', ACCOUNT, undefined).note).toMatch(/is not known here .*run `register` with ACME_DIRECTORY=https:\/\/ca\.example\/dir/);
    expect(caaPin('https://ca.example/dir', ACCOUNT, ['ca.example']).note).toBeUndefined();
  });
});
