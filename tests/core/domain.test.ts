import { describe, expect, it } from 'vitest';
import { MAX_NAMES_PER_CERTIFICATE, normalizeDomain, normalizeDomains } from '../../lib/core/index.js';

describe('domain names', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['www.example.com.', 'www.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['  api.example.com ', 'api.example.com'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeDomain(input)).toBe(expected);
  });

  it.each([
    ['*.example.com', /wildcard names need DNS-01/],
    ['192.0.2.1', /IP addresses are not supported/],
    ['[2001:db8::1]', /IP addresses are not supported/],
    ['localhost', /at least two labels/],
    [`${'a'.repeat(64)}.example.com`, /limit is 63/],
    [`${'abcdefghi.'.repeat(26)}com`, /limit is 253/],
    ['-bad.example.com', /inner hyphens/],
    ['under_score.example.com', /may hold only|not a valid/],
    ['', /it is empty/],
    ['example.123', /top-level label cannot be numeric/],
  ])('refuses %j, saying why', (input, message) => {
    expect(() => normalizeDomain(input)).toThrow(message);
  });

  it('keeps the first name first and drops duplicates after normalizing', () => {
    expect(normalizeDomains(['WWW.example.com', 'example.com', 'www.example.com'])).toEqual(['www.example.com', 'example.com']);
  });

  it(`accepts ${MAX_NAMES_PER_CERTIFICATE} names and refuses one more`, () => {
    const names = Array.from({ length: MAX_NAMES_PER_CERTIFICATE + 1 }, (_, i) => `n${i}.example.com`);
    expect(normalizeDomains(names.slice(0, MAX_NAMES_PER_CERTIFICATE))).toHaveLength(MAX_NAMES_PER_CERTIFICATE);
    expect(() => normalizeDomains(names)).toThrow(/101 names given; a certificate holds at most 100/);
  });

  it('refuses an empty list', () => {
    expect(() => normalizeDomains([])).toThrow(/no domain names given/);
  });
});
