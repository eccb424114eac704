// The one rule for an ordered CA list (lib/core/rules.ts parseCaList), as CERTIFICATES' `ca=` and
// ACME_DIRECTORY read it, and the External Account Binding each CA of a list registers with.
import { describe, expect, it } from 'vitest';
import { parseCertificateSet } from '../../lib/core/certificate-set.js';
import { eabFor, parseIssuerConfig } from '../../lib/core/config.js';
import { caDirectories } from '../../lib/core/network.js';
import { KNOWN_DIRECTORIES, parseCaList } from '../../lib/core/rules.js';

const LE = KNOWN_DIRECTORIES.letsencrypt;
const ZEROSSL = KNOWN_DIRECTORIES.zerossl;
const BASE = { CERT_BUCKET: 'certs-bucket' };

describe('parseCaList', () => {
  it.each([
    ['one name', 'letsencrypt', [LE]],
    ['names in order', 'letsencrypt|zerossl', [LE, ZEROSSL]],
    ['the order kept', 'zerossl|letsencrypt', [ZEROSSL, LE]],
    ['names and URLs', 'https://ca.internal.example:9443/dir|letsencrypt', ['https://ca.internal.example:9443/dir', LE]],
  ])('%s', (_, value, urls) => {
    expect(parseCaList(value)).toEqual({ urls });
  });

  it.each([
    ['an unknown name', 'letsencrypt|zerosssl', /"zerosssl" is not a CA; expected letsencrypt, letsencrypt-staging, zerossl or an https:\/\/ directory URL, several in order separated by "\|"/],
    ['an http URL', 'http://ca.example/dir', /"http:\/\/ca.example\/dir" is not a CA/],
    ['an empty entry', 'letsencrypt|', /"" is not a CA/],
    ['a CA twice (by name and URL)', `letsencrypt|${LE}`, /is listed twice/],
    ['the comma of a domain list', 'letsencrypt,zerossl', /"letsencrypt,zerossl" is not a CA/],
  ])('refuses %s, naming it', (_, value, problem) => {
    const parsed = parseCaList(value);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});

describe('ca= in CERTIFICATES', () => {
  it('keeps the list in order, the first as directoryUrl', () => {
    const [spec] = parseCertificateSet('shop=shop.example.com;ca=letsencrypt|zerossl;key=ec-p256');
    expect(spec).toMatchObject({ directoryUrl: LE, directoryUrls: [LE, ZEROSSL], keyType: 'ec-p256' });
  });

  it('refuses a bad list with the entry, the option and what is wrong', () => {
    expect(() => parseCertificateSet('shop=shop.example.com;ca=letsencrypt|nope')).toThrow(/entry "shop": option "ca=letsencrypt\|nope" is not valid: "nope" is not a CA/);
  });

  it('opens the egress port of every CA of every list', () => {
    expect(caDirectories({ ACME_DIRECTORY: 'letsencrypt', CERTIFICATES: 'a=a.example.com;ca=https://one.example:8443/dir|https://two.example:9443/dir' })).toEqual([
      LE,
      'https://one.example:8443/dir',
      'https://two.example:9443/dir',
    ]);
  });
});

describe('ACME_DIRECTORY as a list', () => {
  it('is read in order; the first is the home CA', () => {
    const config = parseIssuerConfig({ ...BASE, ACME_DIRECTORY: 'letsencrypt|zerossl' });
    expect(config.directoryUrl).toBe(LE);
    expect(config.directoryUrls).toEqual([LE, ZEROSSL]);
    expect(caDirectories({ ACME_DIRECTORY: 'letsencrypt|zerossl' })).toEqual([LE, ZEROSSL]);
  });

  it('one CA stays a list of one', () => {
    expect(parseIssuerConfig({ ...BASE, ACME_DIRECTORY: 'zerossl' }).directoryUrls).toEqual([ZEROSSL]);
  });

  it('a bad entry is a configuration error naming the variable and the entry', () => {
    expect(() => parseIssuerConfig({ ...BASE, ACME_DIRECTORY: 'letsencrypt|lets-encrypt' })).toThrow(/ACME_DIRECTORY="letsencrypt\|lets-encrypt" is not valid: "lets-encrypt" is not a CA/);
  });
});

describe('External Account Binding per CA', () => {
  const env = {
    ...BASE,
    ACME_DIRECTORY: 'letsencrypt|zerossl',
    ACME_EAB_KID: 'le-kid',
    ACME_EAB_HMAC_KEY: 'bGUtaG1hYy1rZXktMTIzNDU2',
    ACME_EAB_KID_ZEROSSL: 'zs-kid',
    ACME_EAB_HMAC_KEY_ZEROSSL: 'enMtaG1hYy1rZXktMTIzNDU2',
  };

  it('binds ACME_EAB_* to the first CA and ACME_EAB_*_ZEROSSL to ZeroSSL, never one CA credentials at another', () => {
    const config = parseIssuerConfig(env);
    expect(eabFor(config, LE)).toEqual({ kid: 'le-kid', hmacKey: 'bGUtaG1hYy1rZXktMTIzNDU2' });
    expect(eabFor(config, ZEROSSL)).toEqual({ kid: 'zs-kid', hmacKey: 'enMtaG1hYy1rZXktMTIzNDU2' });
    expect(eabFor(config, 'https://other.example/dir')).toBeUndefined();
    expect(eabFor(parseIssuerConfig({ ...BASE, ACME_DIRECTORY: 'letsencrypt|zerossl', ACME_EAB_KID: 'k', ACME_EAB_HMAC_KEY: 'bGUtaG1hYy1rZXktMTIzNDU2' }), ZEROSSL)).toBeUndefined();
  });

  it('wants the ZeroSSL pair together, and never quotes its HMAC key', () => {
    expect(() => parseIssuerConfig({ ...BASE, ACME_EAB_KID_ZEROSSL: 'zs-kid' })).toThrow(/ACME_EAB_KID_ZEROSSL and ACME_EAB_HMAC_KEY_ZEROSSL must be set together/);
    const attempt = () => parseIssuerConfig({ ...BASE, ACME_EAB_KID_ZEROSSL: 'zs-kid', ACME_EAB_HMAC_KEY_ZEROSSL: 'not base64!! secret-value' });
    expect(attempt).toThrow(/ACME_EAB_HMAC_KEY_ZEROSSL \(value not shown: secret\) is not valid/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('secret-value');
    }
  });
});
