// The shape checks of stored JSON (lib/core/stored-shapes.ts) as table tests: each damaged object
// is refused as ERR_STORAGE_CORRUPT naming the object and the field; what the issuer writes passes.
import { describe, expect, it } from 'vitest';
import { ErrorCodes, IssuerError, liveMetadataShape, parseRenewalIndex, parseStored, renewalRecordShape, accountRegistrationShape, leaseShape, type Shape } from '../../lib/core/index.js';

const record = {
  name: 'www',
  domains: ['www.example.com'],
  keyType: 'ec-p256',
  directoryUrl: 'https://ca.example/dir',
  state: 'active',
  serial: '0a1b',
  notAfter: '2027-01-01T00:00:00.000Z',
  acm: [{ region: 'us-east-1', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x', serial: '0a1b', importedAt: '2026-12-01T00:00:00.000Z' }],
  history: [{ at: '2026-12-01T00:00:00.000Z', state: 'active', cause: 'issued' }],
  updatedAt: '2026-12-01T00:00:00.000Z',
  exports: [{ kind: 'ssm', id: '/acme/www', version: '1', serial: '0a1b', exportedAt: '2026-12-01T00:00:00.000Z' }],
  someFieldOfANewerIssuer: true,
};

function refusal(key: string, value: unknown, shape: Shape): string {
  try {
    parseStored(key, JSON.stringify(value), shape);
  } catch (error) {
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).code).toBe(ErrorCodes.STORAGE_CORRUPT);
    return (error as IssuerError).message;
  }
  return 'accepted';
}

describe('stored shapes', () => {
  it('accept what the issuer writes, with fields they do not know', () => {
    expect(refusal('renewal/www.json', record, renewalRecordShape)).toBe('accepted');
    const drill = {
      ...record,
      ariCertId: 'aki.serial',
      ariExplanationUrl: 'https://ca/why',
      pendingOrder: { url: 'https://ca/order/1', replaces: 'aki.serial', liveKey: true, savedAt: '2026-12-01T00:00:00.000Z' },
      order: { url: 'https://ca/order/0' },
    };
    expect(refusal('renewal/www.json', drill, renewalRecordShape)).toBe('accepted');
    expect(refusal('locks/www.json', { holder: 'run', expiresAt: '2026-12-01T00:10:00.000Z' }, leaseShape)).toBe('accepted');
  });

  it.each([
    ['a string for the domains', { ...record, domains: 'www.example.com' }, 'field domains: expected a non-empty array, got "www.example.com"'],
    ['an unknown state', { ...record, state: 'fine' }, 'field state: expected one of pending, issuing, active, renewal-due, failed, revoked, expired, got "fine"'],
    ['a date that is not one', { ...record, notAfter: 'soon' }, 'field notAfter: expected an ISO 8601 date, got "soon"'],
    ['no history', { ...record, history: undefined }, 'field history: expected an array, it is missing'],
    ['an ACM entry without its ARN', { ...record, acm: [{ ...record.acm[0], certificateArn: undefined }] }, 'field acm[0].certificateArn: expected a non-empty string, it is missing'],
    ['an export of an unknown kind', { ...record, exports: [{ ...record.exports[0], kind: 'ftp' }] }, 'field exports[0].kind: expected one of secretsmanager, ssm, listener, got "ftp"'],
    ['a saved order without its key flag', { ...record, pendingOrder: { url: 'https://ca/order/1', savedAt: '2026-12-01T00:00:00.000Z' } }, 'field pendingOrder.liveKey: expected true or false, it is missing'],
    ['an order without its URL', { ...record, order: { replaces: 'aki.serial' } }, 'field order.url: expected a non-empty string, it is missing'],
    ['an array', [record], 'expected a JSON object, got an array'],
  ])('refuse a record with %s, naming the field', (_label, value, why) => {
    expect(refusal('renewal/www.json', value, renewalRecordShape)).toBe(`s3 object renewal/www.json is corrupt: ${why}`);
  });

  it('refuse an index entry of the wrong shape, with the rebuild as the hint', () => {
    const text = JSON.stringify({ version: 1, entries: { www: { state: 'active', domainsKey: 'www.example.com', keyType: 'ec-p256', directoryUrl: 'x', renewAt: 42 } } });
    expect(() => parseRenewalIndex('renewal/_index.json', text)).toThrow('s3 object renewal/_index.json is corrupt: field entries.www.renewAt: expected an ISO 8601 date, got number 42');
    try {
      parseRenewalIndex('renewal/_index.json', '{"version":1,"entr');
    } catch (error) {
      expect((error as IssuerError).hint).toMatch(/the next `renew` or `list` rebuilds it/);
    }
  });

  it('refuse metadata, registration and leases of the wrong shape', () => {
    expect(refusal('live/www/metadata.json', { name: 'www', serial: 'XYZ' }, liveMetadataShape)).toBe('s3 object live/www/metadata.json is corrupt: field serial: expected a lowercase hex serial, got "XYZ"');
    expect(refusal('account/registration.json', { keyType: 'ec-p256', thumbprint: 't', accounts: { 'https://ca/dir': { accountUrl: 1 } } }, accountRegistrationShape)).toBe(
      's3 object account/registration.json is corrupt: field accounts.https://ca/dir.accountUrl: expected a non-empty string, got number 1',
    );
    expect(refusal('locks/www.json', { holder: 'run' }, leaseShape)).toBe('s3 object locks/www.json is corrupt: field expiresAt: expected an ISO 8601 date, it is missing');
  });

  it('hint at restoring the earlier version with the exact commands', () => {
    try {
      parseStored('renewal/www.json', '{', renewalRecordShape);
    } catch (error) {
      expect((error as IssuerError).hint).toContain('aws s3api list-object-versions --bucket "$CERT_BUCKET" --prefix renewal/www.json');
      expect((error as IssuerError).hint).toContain('aws s3api copy-object --bucket "$CERT_BUCKET" --key renewal/www.json --copy-source "$CERT_BUCKET/renewal/www.json?versionId=VERSION"');
    }
  });
});
