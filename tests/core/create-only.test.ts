import { describe, expect, it } from 'vitest';
import { CREATE_ONLY_PREFIXES, assertCreateOnlyWrite, isCreateOnlyKey } from '../../lib/core/create-only.js';
import { layout } from '../../lib/core/layout.js';

describe('create-only keys', () => {
  it('are the archive, and nothing the issuer replaces', () => {
    expect(CREATE_ONLY_PREFIXES).toEqual([layout.archivePrefix]);
    expect(isCreateOnlyKey(layout.archivePem('www', '0a1b', 'privkey.pem'))).toBe(true);
    for (const key of [layout.liveMetadata('www'), layout.livePem('www', 'cert.pem'), 'renewal/www.json', 'locks/www.json', 'account/jwk.json']) expect(isCreateOnlyKey(key)).toBe(false);
  });

  it('are written with If-None-Match: * only', () => {
    const key = layout.archivePem('www', '0a1b', 'cert.pem');
    expect(() => assertCreateOnlyWrite(key, { ifNoneMatch: '*' })).not.toThrow();
    expect(() => assertCreateOnlyWrite(key, undefined)).toThrow(new TypeError(`${key} is create-only (archive/): write it with condition { ifNoneMatch: '*' }, as the task role requires`));
    expect(() => assertCreateOnlyWrite(key, { ifMatch: '"abc"' })).toThrow(TypeError);
    expect(() => assertCreateOnlyWrite(layout.liveMetadata('www'), { ifMatch: '"abc"' })).not.toThrow();
    expect(() => assertCreateOnlyWrite(layout.livePem('www', 'cert.pem'), undefined)).not.toThrow();
  });
});
