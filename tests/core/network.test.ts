import { describe, expect, it } from 'vitest';
import { caDirectories, egressPortsByPurpose, issuerEgress } from '../../lib/core/network.js';

describe('issuerEgress', () => {
  it("opens the CA's and the AWS APIs' 443 and the pre-flight's 80 for the deployed defaults", () => {
    expect(issuerEgress({ ACME_DIRECTORY: 'letsencrypt' })).toEqual([
      { port: 80, purposes: ['preflight'] },
      { port: 443, purposes: ['ca', 'aws-api'] },
    ]);
  });

  it("follows the CA URL's port, for ACME_DIRECTORY and every certificate's ca=", () => {
    const env = { ACME_DIRECTORY: 'https://ca.internal.example:9443/acme/directory', CERTIFICATES: 'a=a.example.com;ca=https://other.example:8443/dir b=b.example.com;ca=zerossl' };
    expect(caDirectories(env)).toEqual(['https://ca.internal.example:9443/acme/directory', 'https://other.example:8443/dir', 'https://acme.zerossl.com/v2/DV90']);
    expect(egressPortsByPurpose(env).ca).toEqual([9443, 8443, 443]);
    expect(issuerEgress(env).map((rule) => rule.port)).toEqual([80, 443, 8443, 9443]);
  });

  it("follows the pre-flight's port when the environment sets one", () => {
    expect(egressPortsByPurpose({ ACME_DIRECTORY: 'letsencrypt', PREFLIGHT_HTTP_PORT: '8080' }).preflight).toEqual([8080]);
  });

  it('refuses an environment the issuer would refuse, instead of guessing a port', () => {
    expect(() => issuerEgress({ ACME_DIRECTORY: 'http://ca.example.com/dir' })).toThrow(/ACME_DIRECTORY/);
  });
});
