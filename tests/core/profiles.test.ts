import { describe, expect, it } from 'vitest';
import { PROFILE_NAME_LIMITS, assertProfileNameLimit, assertProfileOffered, parseIssuerConfig } from '../../lib/core/index.js';

const LE = { classic: 'The same profile you are accustomed to', tlsserver: 'Certificates for TLS servers', shortlived: 'Short-lived certificates' };
const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i}.example.com`);

describe('a profile against the CA directory (meta.profiles)', () => {
  it('accepts a listed profile, and none', () => {
    expect(() => assertProfileOffered('tlsserver', LE, 'https://ca.example/dir')).not.toThrow();
    expect(() => assertProfileOffered(undefined, LE, 'https://ca.example/dir')).not.toThrow();
  });

  it('refuses an unknown one as a configuration error naming every choice with its description', () => {
    const error = (() => {
      try {
        assertProfileOffered('tls-server', LE, 'https://ca.example/dir', '"shop"\'s profile');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('"shop"\'s profile "tls-server" is not offered by https://ca.example/dir; it offers "classic"') });
    expect((error as Error).message).toContain('"tlsserver" (Certificates for TLS servers)');
    expect(error).toMatchObject({ hint: 'set profile= in CERTIFICATES (or ACME_PROFILE) to one of: classic, tlsserver, shortlived' });
  });

  it('says when the CA lists no profiles at all', () => {
    expect(() => assertProfileOffered('classic', {}, 'https://ca.example/dir')).toThrow(/lists no profiles/);
  });

  it('does not take a name from the prototype for a profile', () => {
    expect(() => assertProfileOffered('constructor', LE, 'https://ca.example/dir')).toThrow(/not offered/);
  });
});

describe('names per profile', () => {
  it('holds tlsserver and shortlived to 25 names, others to the general limit', () => {
    expect(PROFILE_NAME_LIMITS).toEqual({ tlsserver: 25, shortlived: 25 });
    expect(() => assertProfileNameLimit('tlsserver', names(25))).not.toThrow();
    expect(() => assertProfileNameLimit('tlsserver', names(26), '"big"')).toThrow('"big" has 26 names, but the "tlsserver" profile takes at most 25');
    expect(() => assertProfileNameLimit('shortlived', names(26))).toThrow(/at most 25/);
    expect(() => assertProfileNameLimit('classic', names(100))).not.toThrow();
    expect(() => assertProfileNameLimit(undefined, names(100))).not.toThrow();
  });

  const base = { CERT_BUCKET: 'bucket-1', ACME_DIRECTORY: 'https://ca.example/dir' };
  it('is checked when the configuration is read: profile= and ACME_PROFILE alike', () => {
    const many = names(26).join(',');
    expect(() => parseIssuerConfig({ ...base, CERTIFICATES: `big=${many};profile=tlsserver` })).toThrow(/CERTIFICATES entry "big" has 26 names, but the "tlsserver" profile takes at most 25/);
    expect(() => parseIssuerConfig({ ...base, ACME_PROFILE: 'shortlived', CERTIFICATES: `big=${many}` })).toThrow(/CERTIFICATES entry "big" \(ACME_PROFILE=shortlived\) has 26 names/);
    expect(parseIssuerConfig({ ...base, ACME_PROFILE: 'shortlived', CERTIFICATES: `big=${many};profile=classic` }).certificates[0]!.profile).toBe('classic');
  });
});
