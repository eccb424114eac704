import { describe, expect, it } from 'vitest';
import { KNOWN_DIRECTORIES, parseIssuerConfig, parseResponderConfig } from '../../lib/core/index.js';

const base = { CERT_BUCKET: 'my-certs', AWS_REGION: 'eu-west-1' };

describe('issuer configuration', () => {
  it('applies documented defaults', () => {
    const config = parseIssuerConfig(base);
    expect(config).toMatchObject({
      bucket: 'my-certs',
      directoryUrl: KNOWN_DIRECTORIES['letsencrypt-staging'],
      accountKeyType: 'ec-p256',
      certKeyType: 'rsa-2048',
      eab: undefined,
      acmImport: true,
      aws: { region: 'eu-west-1', endpointUrl: undefined },
    });
  });

  it('resolves CA names and accepts any https directory', () => {
    expect(parseIssuerConfig({ ...base, ACME_DIRECTORY: 'letsencrypt' }).directoryUrl).toBe(KNOWN_DIRECTORIES.letsencrypt);
    expect(parseIssuerConfig({ ...base, ACME_DIRECTORY: 'https://ca.internal/acme/dir' }).directoryUrl).toBe('https://ca.internal/acme/dir');
  });

  it('names every bad variable and the expected form, all at once', () => {
    const attempt = () =>
      parseIssuerConfig({
        CERT_BUCKET: 'Not_A_Bucket',
        ACME_DIRECTORY: 'http://insecure.example/dir',
        ACME_CONTACT_EMAIL: 'not-an-email',
        CERT_KEY_TYPE: 'dsa',
        ACME_POLL_MIN_MS: 'soon',
        ACME_EAB_KID: 'kid-1',
      });
    expect(attempt).toThrow(/CERT_BUCKET="Not_A_Bucket" is not valid; expected an S3 bucket name/);
    expect(attempt).toThrow(/ACME_DIRECTORY="http:\/\/insecure.example\/dir" is not valid; expected a URL starting with https:\/\//);
    expect(attempt).toThrow(/ACME_CONTACT_EMAIL="not-an-email" is not valid; expected one email address/);
    expect(attempt).toThrow(/CERT_KEY_TYPE="dsa" is not valid; expected one of rsa-2048, ec-p256/);
    expect(attempt).toThrow(/ACME_POLL_MIN_MS="soon" is not valid; expected an integer/);
    expect(attempt).toThrow(/ACME_EAB_KID and ACME_EAB_HMAC_KEY must be set together/);
  });

  it('says when a required variable is missing', () => {
    expect(() => parseIssuerConfig({})).toThrow(/CERT_BUCKET is not set; expected an S3 bucket name/);
  });
});

describe('responder configuration', () => {
  it('reads the refresh interval', () => {
    expect(parseResponderConfig({ ...base, JWK_REFRESH_SECONDS: '60' }).jwkRefreshSeconds).toBe(60);
    expect(() => parseResponderConfig({ ...base, JWK_REFRESH_SECONDS: '-1' })).toThrow(/JWK_REFRESH_SECONDS="-1"/);
  });
});
