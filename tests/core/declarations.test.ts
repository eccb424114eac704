import { describe, expect, it } from 'vitest';
import {
  IssuerError,
  KNOWN_DIRECTORIES,
  conflictWarning,
  declarationFields,
  parseCertificateSet,
  parseDeclaration,
  parseDeclaredIndex,
  reconcileDeclared,
  specOf,
  withDeclaration,
  EMPTY_DECLARED_INDEX,
  type Declaration,
} from '../../lib/core/index.js';

const declared = (name: string, domains: string[], extra: Partial<Declaration> = {}): Declaration => ({
  version: 1,
  name,
  domains,
  owner: 'arn:aws:iam::123456789012:user/alice',
  declaredBy: 'arn:aws:iam::123456789012:user/alice',
  declaredAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});

function thrown(run: () => unknown): IssuerError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(IssuerError);
    return error as IssuerError;
  }
  throw new Error('nothing was thrown');
}

describe('declarationFields', () => {
  it('takes what a CERTIFICATES entry takes, normalized the same way', () => {
    const fields = declarationFields({
      name: 'shop',
      domains: ['Shop.Example.com', 'www.shop.example.com'],
      keyType: 'ec-p256',
      ca: 'letsencrypt',
      profile: 'tlsserver',
      exports: 'secrets,ssm',
      regions: ['us-east-1', 'us-east-1'],
    });
    const [entry] = parseCertificateSet('shop=Shop.Example.com,www.shop.example.com;key=ec-p256;ca=letsencrypt;profile=tlsserver;export=secrets,ssm;regions=us-east-1');
    expect(specOf({ ...declared('shop', []), ...fields })).toEqual(entry);
    expect(fields.directoryUrl).toBe(KNOWN_DIRECTORIES.letsencrypt);
  });

  it('takes a CA list in failover order as CERTIFICATES ca= does (one rule, parseCaList)', () => {
    const fields = declarationFields({ name: 'shop', domains: ['shop.example.com'], ca: 'letsencrypt|zerossl' });
    const [entry] = parseCertificateSet('shop=shop.example.com;ca=letsencrypt|zerossl');
    expect(fields.directoryUrls).toEqual([KNOWN_DIRECTORIES.letsencrypt, KNOWN_DIRECTORIES.zerossl]);
    expect(fields.directoryUrl).toBe(KNOWN_DIRECTORIES.letsencrypt);
    expect(specOf({ ...declared('shop', []), ...fields })).toEqual(entry);
    expect(thrown(() => declarationFields({ name: 'shop', domains: ['shop.example.com'], ca: 'letsencrypt|letsencrypt' })).message).toMatch(/--ca "letsencrypt\|letsencrypt": "letsencrypt" is listed twice/);
  });

  it('reads a declaration written before CA lists (directoryUrl alone) as that one CA', () => {
    const old = parseDeclaration('shop', JSON.stringify(declared('shop', ['shop.example.com'], { directoryUrl: KNOWN_DIRECTORIES.zerossl })));
    expect(specOf(old).directoryUrls).toEqual([KNOWN_DIRECTORIES.zerossl]);
  });

  it('reports every bad option at once, each by its flag', () => {
    const error = thrown(() => declarationFields({ name: 'shop', domains: ['*.shop.example.com'], keyType: 'rsa-1024', ca: 'http://ca.example', profile: 'bad profile', exports: 'ftp', regions: ['mars'] }));
    expect(error.code).toBe('ERR_BAD_INPUT');
    for (const flag of ['--domain', '--key-type "rsa-1024"', '--ca "http://ca.example"', '--profile "bad profile"', '--export "ftp"', '--region "mars"']) expect(error.message).toContain(flag);
    expect(error.hint).toMatch(/nothing was written/);
  });

  it('needs a name that can be a key and at least one domain', () => {
    expect(thrown(() => declarationFields({ name: '../x', domains: ['a.example.com'] })).message).toMatch(/certificate name "\.\.\/x" is not valid/);
    expect(thrown(() => declarationFields({ name: 'x', domains: [] })).message).toMatch(/--domain: at least one name is needed/);
  });
});

describe('reconcileDeclared', () => {
  const env = parseCertificateSet('shop=shop.example.com api=api.example.com;key=rsa-2048');

  it('adds the store declarations CERTIFICATES does not name, saying where each is declared', () => {
    const set = reconcileDeclared(env, { blog: declared('blog', ['blog.example.com']), shop: declared('shop', ['shop.example.com']) });
    expect(set.specs.map((s) => s.name)).toEqual(['shop', 'api', 'blog']);
    expect(set.declaredIn).toEqual({ shop: 'both', api: 'env', blog: 'store' });
    expect(set.conflicts).toEqual([]);
  });

  it('lets CERTIFICATES win a conflict and names the fields that differ', () => {
    const set = reconcileDeclared(env, { api: declared('api', ['api.example.com', 'www.api.example.com'], { keyType: 'ec-p256' }) });
    expect(set.specs.find((s) => s.name === 'api')).toEqual(env[1]);
    expect(set.conflicts).toEqual([{ name: 'api', fields: ['domains', 'keyType'] }]);
    expect(conflictWarning(set.conflicts[0]!)).toBe(
      '"api" is declared in CERTIFICATES and in declared/api.json with a different domains, keyType: CERTIFICATES wins (it is what was deployed); `undeclare api` or make the two agree',
    );
  });

  it('is the store alone without CERTIFICATES', () => {
    expect(reconcileDeclared([], { b: declared('b', ['b.example.com']), a: declared('a', ['a.example.com']) }).specs.map((s) => s.name)).toEqual(['a', 'b']);
  });
});

describe('stored declarations', () => {
  it('reads back what is written', () => {
    const d = declared('shop', ['shop.example.com'], { exports: [], acmRegions: ['us-east-1'] });
    expect(parseDeclaration('shop', JSON.stringify(d))).toEqual(d);
    const index = withDeclaration(withDeclaration(EMPTY_DECLARED_INDEX, 'shop', d), 'gone', declared('gone', ['gone.example.com']));
    expect(Object.keys(parseDeclaredIndex(JSON.stringify(withDeclaration(index, 'gone', undefined))).entries)).toEqual(['shop']);
  });

  it.each([
    ['not JSON', '{', 'it is not valid JSON'],
    ['no domains', JSON.stringify({ ...declared('shop', []) }), 'field domains: expected a non-empty array, got an array'],
    ['an unknown key type', JSON.stringify(declared('shop', ['a.example.com'], { keyType: 'rsa-1024' as never })), 'field keyType: expected one of rsa-2048, ec-p256, got "rsa-1024"'],
    ['no owner', JSON.stringify({ ...declared('shop', ['a.example.com']), owner: undefined }), 'field owner: expected a non-empty string, it is missing'],
    ['another name', JSON.stringify(declared('other', ['a.example.com'])), 'field name: expected "shop" (the object\'s own name), got "other"'],
  ])('refuses a damaged declared/NAME.json by object and field: %s', (_label, body, why) => {
    const error = thrown(() => parseDeclaration('shop', body));
    expect(error.code).toBe('ERR_STORAGE_CORRUPT');
    expect(error.message).toBe(`s3 object declared/shop.json is corrupt: ${why}`);
  });

  it('refuses a damaged summary with the hint that it is rebuilt', () => {
    const error = thrown(() => parseDeclaredIndex(JSON.stringify({ version: 1, entries: { shop: { name: 'shop' } } })));
    expect(error.message).toBe('s3 object declared/_index.json is corrupt: field entries.shop.domains: expected a non-empty array, it is missing');
    expect(error.hint).toMatch(/rebuilds it/);
  });
});
