import { describe, expect, it } from 'vitest';
import { parseCertificateSet, parseExportKinds, parseIssuerConfig, regionOfArn } from '../../lib/core/index.js';

const base = { CERT_BUCKET: 'my-certs', AWS_REGION: 'eu-west-1' };

describe('hand-over options in CERTIFICATES', () => {
  it('reads export= and regions= per entry, leaving them undefined when absent', () => {
    expect(parseCertificateSet('shop=shop.example.com;export=secrets,ssm;regions=us-east-1,us-east-1 api=api.example.com;export=none plain=plain.example.com')).toEqual([
      { name: 'shop', domains: ['shop.example.com'], keyType: undefined, directoryUrl: undefined, profile: undefined, exports: ['secrets', 'ssm'], acmRegions: ['us-east-1'] },
      { name: 'api', domains: ['api.example.com'], keyType: undefined, directoryUrl: undefined, profile: undefined, exports: [] },
      { name: 'plain', domains: ['plain.example.com'], keyType: undefined, directoryUrl: undefined, profile: undefined },
    ]);
  });

  it.each([
    ['a=a.example.com;export=vault', /entry "a": option "export=vault" is not valid/],
    ['a=a.example.com;export=', /entry "a": option "export=" is not valid/],
    ['a=a.example.com;regions=mars', /entry "a": option "regions=mars" is not valid/],
  ])('%s is refused, naming the entry', (text, message) => {
    expect(() => parseCertificateSet(text)).toThrow(message);
  });

  it('parses the kinds list', () => {
    expect(parseExportKinds('ssm,secrets,ssm')).toEqual(['ssm', 'secrets']);
    expect(parseExportKinds('none')).toEqual([]);
    expect(parseExportKinds('s3')).toEqual({ problem: 'expected secrets, ssm (comma-separated) or none' });
  });
});

describe('issuer hand-over configuration', () => {
  it('defaults to nothing, with the documented prefixes', () => {
    expect(parseIssuerConfig(base).exports).toEqual({ defaults: [], secretPrefix: 'acme/', ssmPrefix: '/acme/', kmsKeyId: undefined, httpsListenerArn: undefined });
  });

  it('names every bad variable', () => {
    const attempt = () => parseIssuerConfig({ ...base, EXPORTS: 'vault', EXPORT_SSM_PREFIX: 'acme', HTTPS_LISTENER_ARN: 'arn:aws:acm:x' });
    expect(attempt).toThrow(/EXPORTS="vault" is not valid; expected secrets, ssm/);
    expect(attempt).toThrow(/EXPORT_SSM_PREFIX="acme" is not valid/);
    expect(attempt).toThrow(/HTTPS_LISTENER_ARN="arn:aws:acm:x" is not valid/);
  });

  it('finds the listener region in its ARN', () => {
    expect(regionOfArn('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/a/0123abcd/4567ef01')).toBe('eu-west-1');
  });
});
