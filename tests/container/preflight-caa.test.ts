// The pre-flight's CAA lookups (container/preflight-caa.ts) on node's resolver against a real
// pebble-challtestsrv: the walk up the tree through DNS, a CNAME followed as DNS resolution
// follows it (RFC 8659 §3), and a lookup that fails named as the DNS error the CA refuses on.
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caaLookup, checkCaa } from '../../container/preflight-caa.js';
import { freePort } from '../../scripts/local/free-port.js';
import { challtestsrv } from '../support/loopback.js';

const US = { identities: ['pebble.letsencrypt.org'], accountUrl: 'https://localhost/my-account/1' };
let server: ChildProcess;
let dnsPort: number;
let management: { challtestsrvManagementPort: number };

beforeAll(async () => {
  const [dns, port] = await Promise.all([freePort(), freePort()]);
  dnsPort = dns;
  management = { challtestsrvManagementPort: port };
  server = spawn('pebble-challtestsrv', ['-http01', '', '-https01', '', '-tlsalpn01', '', '-dns01', `127.0.0.1:${dns}`, '-management', `127.0.0.1:${port}`, '-defaultIPv6', ''], { stdio: 'ignore' });
  // Up when its management API answers.
  for (let i = 0; ; i++) {
    try {
      await challtestsrv(management, '/add-a', { host: 'up.example', addresses: ['127.0.0.1'] });
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await challtestsrv(management, '/add-caa', { host: 'zone.example', policies: [{ tag: 'issue', value: 'sectigo.com' }] });
  await challtestsrv(management, '/add-caa', { host: 'ours.zone.example', policies: [{ tag: 'issue', value: 'pebble.letsencrypt.org' }] });
  await challtestsrv(management, '/add-caa', { host: 'target.other.example', policies: [{ tag: 'issue', value: 'pebble.letsencrypt.org; accounturi=https://localhost/my-account/2' }] });
  await challtestsrv(management, '/set-cname', { host: 'alias.free.example', target: 'target.other.example' });
  await challtestsrv(management, '/set-servfail', { host: 'broken.zone.example' });
}, 30_000);
afterAll(() => {
  server?.kill();
});

function resolver(port = dnsPort): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}

describe('checkCaa through DNS', () => {
  it("finds the zone's record from a name three labels below it, and for a sibling from the same run's lookups", async () => {
    const lookup = caaLookup(resolver());
    const first = await checkCaa('a.b.c.zone.example', US, lookup);
    expect(first.verdict).toMatchObject({ allowed: false, at: 'zone.example', refusal: 'ca' });
    expect(first.diagnosis).toMatchObject({ cause: 'caa', summary: expect.stringMatching(/^CAA at zone\.example lets only sectigo\.com issue for a\.b\.c\.zone\.example/) });
    // Asked again in the same run, a sibling shares the cached answers of its parents.
    expect((await checkCaa('d.b.c.zone.example', US, lookup)).verdict).toMatchObject({ allowed: false, at: 'zone.example' });
  });

  it("takes a subdomain's own record over its parent's", async () => {
    expect((await checkCaa('www.ours.zone.example', US, caaLookup(resolver()))).verdict).toMatchObject({ allowed: true, at: 'ours.zone.example', by: '0 issue "pebble.letsencrypt.org"' });
  });

  it("follows a CNAME as DNS does: the alias gets its target's records", async () => {
    const result = await checkCaa('alias.free.example', US, caaLookup(resolver()));
    expect(result.verdict).toMatchObject({ allowed: false, at: 'alias.free.example', refusal: 'account' });
  });

  it('allows a name with no CAA up to the TLD', async () => {
    expect((await checkCaa('www.nothing.example', US, caaLookup(resolver()))).verdict).toEqual({ allowed: true, at: undefined, by: undefined, caUnverified: false });
  });

  it('names a failed lookup (SERVFAIL) a DNS error: the CA refuses then too', async () => {
    const result = await checkCaa('www.broken.zone.example', US, caaLookup(resolver()));
    expect(result.verdict).toBeUndefined();
    expect(result.diagnosis).toMatchObject({
      cause: 'dns-error',
      summary: expect.stringMatching(/^looking up CAA at broken\.zone\.example failed \(ESERVFAIL\); the CA refuses to issue for www\.broken\.zone\.example while CAA cannot be read$/),
    });
  });

  it('names a DNS server that does not answer a DNS error', async () => {
    const result = await checkCaa('www.zone.example', US, caaLookup(resolver(await freePort())));
    expect(result.diagnosis).toMatchObject({ cause: 'dns-error', summary: expect.stringMatching(/^looking up CAA at www\.zone\.example failed \(E[A-Z]+\)/) });
  });
});
