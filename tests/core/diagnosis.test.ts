// Cause classification: the CA's problem documents as Let's Encrypt (Boulder) and Pebble word
// them, and pre-flight observations, each to one cause with its fix.
import { describe, expect, it } from 'vitest';
import { CAUSES, addressFromDetail, causeFix, diagnoseCaProblem, diagnoseObservation, statusFromDetail, urlFromDetail, type NameObservation } from '../../lib/core/diagnosis.js';
import { parsePreflightConfig } from '../../lib/core/preflight-config.js';

const E = 'urn:ietf:params:acme:error:';

describe('diagnoseCaProblem', () => {
  it.each([
    // Let's Encrypt (Boulder)
    [`${E}dns`, 'DNS problem: NXDOMAIN looking up A for shop.example.com - check that a DNS record exists for this domain', 'dns-no-record'],
    [`${E}dns`, "DNS problem: SERVFAIL looking up A for shop.example.com - the domain's nameservers may be malfunctioning", 'dns-error'],
    [`${E}dns`, 'DNS problem: query timed out looking up AAAA for shop.example.com', 'dns-error'],
    [`${E}connection`, '203.0.113.7: Fetching http://shop.example.com/.well-known/acme-challenge/abc: Connection refused', 'connection-refused'],
    [`${E}connection`, '203.0.113.7: Fetching http://shop.example.com/.well-known/acme-challenge/abc: Timeout during connect (likely firewall problem)', 'timeout'],
    [`${E}unauthorized`, '203.0.113.7: Invalid response from http://shop.example.com/.well-known/acme-challenge/abc: 404', 'wrong-answer'],
    [`${E}unauthorized`, 'The key authorization file from the server did not match this challenge. Expected "abc.def" (got "hello")', 'wrong-answer'],
    [`${E}connection`, 'Fetching https://shop.example.com/.well-known/acme-challenge/abc: Invalid host in redirect target', 'redirect'],
    [`${E}caa`, 'CAA record for shop.example.com prevents issuance', 'caa'],
    // The type decides, whatever the detail says of DNS; a failed CAA lookup stays a DNS error.
    [`${E}caa`, 'While processing CAA for shop.example.com: DNS problem: query timed out', 'caa'],
    [undefined, 'CAA record for shop.example.com prevents issuance', 'caa'],
    [`${E}dns`, 'DNS problem: SERVFAIL looking up CAA for example.com', 'dns-error'],
    // Pebble
    [`${E}connection`, 'Get "http://x.example.com:5002/.well-known/acme-challenge/abc": could not resolve URL "http://x.example.com:5002/.well-known/acme-challenge/abc"', 'dns-no-record'],
    [`${E}connection`, 'Get "http://x.example.com:5002/.well-known/acme-challenge/abc": dial tcp 127.0.0.2:5002: connect: connection refused', 'connection-refused'],
    [`${E}connection`, 'Get "http://x.example.com:5002/.well-known/acme-challenge/abc": context deadline exceeded', 'timeout'],
    [`${E}unauthorized`, 'Non-200 status code from HTTP: http://x.example.com:5002/.well-known/acme-challenge/abc returned 404', 'wrong-answer'],
    // by type only
    [`${E}connection`, 'something new', 'connection-error'],
    [`${E}serverInternal`, 'something new', 'unknown'],
  ])('%s "%s" -> %s', (problemType, detail, cause) => {
    const diagnosis = diagnoseCaProblem({ problemType, detail, domain: detail.includes('x.example.com') ? 'x.example.com' : 'shop.example.com' });
    expect(diagnosis.cause).toBe(cause);
    expect(diagnosis.fix).toBe(causeFix(diagnosis.cause));
  });

  it('calls a fetch of another URL than the challenge URL a redirect', () => {
    const detail = 'Get "https://x.example.com/.well-known/acme-challenge/abc": dial tcp 127.0.0.4:443: connect: connection refused';
    expect(diagnoseCaProblem({ problemType: `${E}connection`, detail, domain: 'x.example.com' }).cause).toBe('redirect');
    expect(diagnoseCaProblem({ problemType: `${E}connection`, detail, domain: undefined }).cause).toBe('connection-refused');
  });

  it('reads status, URL and address out of the detail', () => {
    expect(statusFromDetail('Invalid response from http://a.example/.well-known/acme-challenge/x: 404')).toBe(404);
    expect(statusFromDetail('Non-200 status code from HTTP: http://a/x returned 503')).toBe(503);
    expect(statusFromDetail('connection refused')).toBeUndefined();
    expect(urlFromDetail('Get "http://a.example:5002/x": boom')).toBe('http://a.example:5002/x');
    expect(addressFromDetail('dial tcp 127.0.0.2:5002: connect: connection refused')).toBe('127.0.0.2');
    expect(addressFromDetail('dial tcp [2001:db8::1]:80: connect: connection refused')).toBe('2001:db8::1');
  });

  it('has a distinct fix for every cause', () => {
    expect(new Set(CAUSES.map(causeFix)).size).toBe(CAUSES.length);
  });
});

describe('diagnoseObservation', () => {
  const token = 'A'.repeat(43);
  const thumbprint = 'T'.repeat(43);
  const base: NameObservation = {
    domain: 'a.example.com',
    port: 80,
    addresses: ['192.0.2.1'],
    expectedAddresses: [],
    probes: [{ address: '192.0.2.1', outcome: 'response', status: 200, body: `${token}.${thumbprint}` }],
    probeToken: token,
    expectedAnswer: `${token}.${thumbprint}`,
  };

  it.each<[string, Partial<NameObservation>, string | undefined]>([
    ['our answer', {}, undefined],
    ['no records', { addresses: [], probes: [], dnsError: 'ENODATA' }, 'dns-no-record'],
    ['resolver failure', { addresses: [], probes: [], dnsError: 'ESERVFAIL' }, 'dns-error'],
    ['refused', { probes: [{ address: '192.0.2.1', outcome: 'refused' }] }, 'connection-refused'],
    ['timeout', { probes: [{ address: '192.0.2.1', outcome: 'timeout', durationMs: 5000 }] }, 'timeout'],
    ['unreachable', { probes: [{ address: '192.0.2.1', outcome: 'error', errorCode: 'EHOSTUNREACH' }] }, 'connection-error'],
    ['redirect', { probes: [{ address: '192.0.2.1', outcome: 'response', status: 308, body: '', location: 'https://a.example.com/' }] }, 'redirect'],
    ['another page', { probes: [{ address: '192.0.2.1', outcome: 'response', status: 200, body: '<html>' }] }, 'wrong-answer'],
    ['a 404', { probes: [{ address: '192.0.2.1', outcome: 'response', status: 404, body: 'Not Found' }] }, 'wrong-answer'],
    ['another account', { probes: [{ address: '192.0.2.1', outcome: 'response', status: 200, body: `${token}.${'U'.repeat(43)}` }] }, 'other-account'],
    ['responder 503', { probes: [{ address: '192.0.2.1', outcome: 'response', status: 503, body: 'Service Unavailable', retryAfter: '5' }] }, 'responder-unavailable'],
    ['refused off the ALB', { expectedAddresses: ['192.0.2.9'], probes: [{ address: '192.0.2.1', outcome: 'refused' }] }, 'wrong-address'],
    ['our answer off the ALB (a CDN in front)', { expectedAddresses: ['192.0.2.9'] }, undefined],
    ['one of two addresses fails (IPv6 stale)', { addresses: ['192.0.2.1', '2001:db8::1'], probes: [base.probes[0]!, { address: '2001:db8::1', outcome: 'timeout', durationMs: 10 }] }, 'timeout'],
  ])('%s', (_label, change, cause) => {
    expect(diagnoseObservation({ ...base, ...change })?.cause).toBe(cause);
  });
});

describe('parsePreflightConfig', () => {
  it('defaults to what a CA does: port 80, the system resolver, no address comparison', () => {
    expect(parsePreflightConfig({})).toEqual({ httpPort: 80, dnsServers: [], expectedAddresses: [], albDnsName: undefined, timeoutMs: 5000 });
  });

  it('reads the local stack settings', () => {
    expect(parsePreflightConfig({ PREFLIGHT_HTTP_PORT: '5002', PREFLIGHT_DNS_SERVER: '127.0.0.1:8053', PREFLIGHT_EXPECTED_ADDRESSES: '127.0.0.1, ::1', ALB_DNS_NAME: 'acme-1.eu-west-1.elb.amazonaws.com' })).toMatchObject(
      {
        httpPort: 5002,
        dnsServers: ['127.0.0.1:8053'],
        expectedAddresses: ['127.0.0.1', '::1'],
        albDnsName: 'acme-1.eu-west-1.elb.amazonaws.com',
      },
    );
  });

  it('names every bad variable at once', () => {
    expect(() => parsePreflightConfig({ PREFLIGHT_HTTP_PORT: '0', PREFLIGHT_DNS_SERVER: 'dns.google', PREFLIGHT_TIMEOUT_MS: 'soon' })).toThrow(
      /PREFLIGHT_HTTP_PORT="0" is not valid[\s\S]*PREFLIGHT_DNS_SERVER="dns.google" is not valid[\s\S]*PREFLIGHT_TIMEOUT_MS="soon" is not valid/,
    );
  });
});
