// Bad configuration and input to the real CLI process, on the local stack: each is refused with a
// message that names the value, a specific exit code (container/exit-codes.ts), and nothing at
// all written to S3 (every object version in the versioned bucket, before and after).
// Extends tests/e2e/issue.test.ts ("bad input": a plain wildcard, a bad name, no domains, usage,
// CERT_KEY_TYPE), tests/e2e/lifecycle.test.ts (renew with CERTIFICATES='' on an empty bucket) and
// tests/core/domain.test.ts + config.test.ts (the same rules as pure functions), without repeating them.
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCodes } from '../../container/exit-codes.js';
import { clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';
import { recordReliability } from '../support/report.js';

const SUITE = 'bad-input';
let stack: LocalStack;
let aws: ReturnType<typeof clientsFor>;
let closedPort: number;

/** Every version and delete marker in the bucket: any write, even an identical overwrite, changes it. */
async function snapshot(): Promise<string[]> {
  const out: string[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await aws.s3.send(new ListObjectVersionsCommand({ Bucket: aws.bucket, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
    for (const v of result.Versions ?? []) out.push(`${v.Key} ${v.VersionId} ${v.ETag}`);
    for (const m of result.DeleteMarkers ?? []) out.push(`${m.Key} ${m.VersionId} delete-marker`);
    if (result.IsTruncated !== true) break;
    keyMarker = result.NextKeyMarker;
    versionMarker = result.NextVersionIdMarker;
  }
  return out.sort();
}

interface BadCase {
  readonly label: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly code: number;
  /** What the error message must say: the offending value, quoted, and why. */
  readonly message: RegExp;
}

/**
 * Runs the cases a few at a time (each is a CLI process), checks each one's code and message, and
 * the bucket before and after the whole class: the union of what they wrote must be empty.
 */
async function refuses(cls: string, cases: readonly BadCase[]): Promise<void> {
  const before = await snapshot();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const problem = verdict(c, await runCli(stack, c.args, c.env));
      if (problem !== undefined) failures.push(`${c.label}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: 3 }, worker));
  const after = await snapshot();
  const written = after.filter((v) => !before.includes(v));
  if (written.length > 0 || after.length !== before.length) failures.push(`S3 changed: ${written.join(', ')}`);
  recordReliability({ suite: SUITE, kind: 'input', class: cls, tried: cases.length, survived: written.length > 0 ? 0 : cases.length - failures.length, objectsLost: 0 });
  expect(failures).toEqual([]);
}

function verdict(c: BadCase, result: CliResult): string | undefined {
  const error = result.events.find((e) => e.event === 'error');
  if (result.code !== c.code) return `exit ${result.code}, expected ${c.code}: ${typeof error?.message === 'string' ? error.message : result.stdout.slice(-500) + result.stderr.slice(-500)}`;
  if (error === undefined) return 'no error event';
  if (!c.message.test(String(error.message))) return `message ${JSON.stringify(error.message)} does not match ${c.message}`;
  if (/\n\s+at /.test(result.stdout + result.stderr)) return 'a stack trace was printed';
  return undefined;
}

const issue = (name: string, ...domains: string[]) => ['issue', '--name', name, ...domains.flatMap((d) => ['--domain', d])];
const quoted = (value: string) => new RegExp(`"${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`);

/** A second stack whose bucket never sees an account or a certificate. */
let empty: LocalStack;

beforeAll(async () => {
  [stack, empty] = await Promise.all([startLocalStack({ name: 'badinput' }), startLocalStack({ name: 'badinput-empty' })]);
  aws = clientsFor(stack);
  closedPort = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  // A bucket in use (an account and one certificate), so "nothing written" covers real state.
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
  const issued = await runCli(stack, issue('existing', 'existing.example.com'));
  expect(issued.code, issued.stdout.slice(-1500)).toBe(0);
});
afterAll(async () => Promise.all([stack?.stop(), empty?.stop()]));

describe('domain names that HTTP-01 cannot validate', () => {
  it('are refused before any order, naming the name and the reason (exit 2, nothing written)', async () => {
    const long63 = `${'a'.repeat(63)}.example.com`;
    const long64 = `${'b'.repeat(64)}.example.com`;
    const long254 = `${Array.from({ length: 4 }, () => 'c'.repeat(62)).join('.')}.example.com`;
    await refuses('CLI: invalid domain names', [
      { label: 'a wildcard among valid names', args: issue('mixed', 'ok.example.com', '*.mixed.example.com'), code: 2, message: /domain "\*\.mixed\.example\.com" is not valid: wildcard names need DNS-01/ },
      { label: 'a wildcard in the middle', args: issue('midwild', 'a.*.example.com'), code: 2, message: /domain "a\.\*\.example\.com" is not valid/ },
      { label: 'an IPv4 address', args: issue('ipv4', '192.0.2.1'), code: 2, message: /domain "192\.0\.2\.1" is not valid: IP addresses are not supported/ },
      { label: 'an IPv4 address with a trailing dot', args: issue('ipv4dot', '127.0.0.1.'), code: 2, message: /domain "127\.0\.0\.1\." is not valid: IP addresses are not supported/ },
      { label: 'an IPv6 address', args: issue('ipv6', '2001:db8::1'), code: 2, message: /domain "2001:db8::1" is not valid: IP addresses are not supported/ },
      { label: 'a bracketed IPv6 address', args: issue('ipv6b', '[::1]'), code: 2, message: /domain "\[::1\]" is not valid: IP addresses are not supported/ },
      {
        label: 'a 64-character label',
        args: issue('long', 'ok.example.com', long64),
        code: 2,
        message: new RegExp(`domain "${long64.replace(/\./g, '\\.')}" is not valid: the label "b{64}" is 64 characters; the limit is 63`),
      },
      { label: 'a name over 253 characters', args: issue('toolong', long254), code: 2, message: /is not valid: it is 2\d\d characters long; the limit is 253/ },
      { label: 'an underscore', args: issue('under', 'under_score.example.com'), code: 2, message: /domain "under_score\.example\.com" is not valid/ },
      { label: 'a space inside', args: issue('space', 'a b.example.com'), code: 2, message: /domain "a b\.example\.com" is not valid/ },
      { label: 'a URL instead of a name', args: issue('url', 'https://a.example.com/'), code: 2, message: /domain "https:\/\/a\.example\.com\/" is not valid/ },
      { label: 'an empty name', args: issue('empty', 'a.example.com', ''), code: 2, message: /domain "" is not valid: it is empty/ },
      { label: 'one label only', args: issue('single', 'intranet'), code: 2, message: /domain "intranet" is not valid: it needs at least two labels/ },
      { label: 'a numeric top-level label', args: issue('numtld', 'host.123'), code: 2, message: /domain "host\.123" is not valid: the top-level label cannot be numeric/ },
      { label: 'an empty label', args: issue('dots', 'a..example.com'), code: 2, message: /domain "a\.\.example\.com" is not valid/ },
      { label: 'a leading hyphen', args: ['issue', '--name', 'hyphen', '--domain=-a.example.com'], code: 2, message: /domain "-a\.example\.com" is not valid/ },
      { label: 'a NUL byte', args: issue('nul', 'a\u0001b.example.com'), code: 2, message: /is not valid/ },
      { label: '101 distinct names', args: issue('many', ...Array.from({ length: 101 }, (_, i) => `n${i}.example.com`)), code: 2, message: /101 names given; a certificate holds at most 100/ },
      { label: '100 valid names and one bad', args: issue('manybad', ...Array.from({ length: 100 }, (_, i) => `m${i}.example.com`), 'x_y.example.com'), code: 2, message: /domain "x_y\.example\.com" is not valid/ },
    ]);
    // the boundary itself is fine (checked in process: issuing it is the happy path elsewhere)
    expect(long63.split('.')[0]).toHaveLength(63);
  });

  it('accepts 100 names after de-duplication (101 given, two equal once lowercased)', async () => {
    const names = [...Array.from({ length: 100 }, (_, i) => `d${i}.example.com`), 'D0.EXAMPLE.COM'];
    const result = await runCli(stack, [...issue('hundred', ...names), '--skip-preflight']);
    expect(result.code, result.stdout.slice(-1500)).toBe(0);
    const cert = new X509Certificate((await aws.read('live/hundred/cert.pem'))!);
    expect(cert.subjectAltName!.split(', ')).toHaveLength(100);
    recordReliability({ suite: SUITE, kind: 'input', class: 'CLI: 100 names at the limit (issued)', tried: 1, survived: 1, objectsLost: 0 });
  });
});

describe('uppercase and internationalized names', () => {
  it('are normalized (lowercase, punycode A-labels, no trailing dot) and issued; the SAN holds the normalized forms', async () => {
    const given = ['Shop.Example.COM', 'bücher.example.com', 'WWW.Bücher.Example.com.', 'ÉCOLE.example.com', '例え.example.com'];
    const wanted = ['shop.example.com', 'xn--bcher-kva.example.com', 'www.xn--bcher-kva.example.com', 'xn--cole-9oa.example.com', 'xn--r8jz45g.example.com'];
    const result = await runCli(stack, issue('idn', ...given));
    expect(result.code, result.stdout.slice(-1500)).toBe(0);
    expect(eventOf(result, 'issued').names).toEqual(wanted);
    const cert = new X509Certificate((await aws.read('live/idn/cert.pem'))!);
    expect(cert.subjectAltName!.split(', ').sort()).toEqual(wanted.map((n) => `DNS:${n}`).sort());
    expect(cert.subject).toContain('CN=shop.example.com');
    const record = JSON.parse((await aws.read('renewal/idn.json'))!) as { domains: string[] };
    expect(record.domains).toEqual(wanted);
    recordReliability({ suite: SUITE, kind: 'input', class: 'CLI: uppercase and IDN names normalized and issued', tried: given.length, survived: given.length, objectsLost: 0 });
  });
});

describe('certificate names and commands', () => {
  it('refuses unknown certificates (exit 8) and bad names or options (exit 2), writing nothing', async () => {
    await refuses('CLI: unknown certificate, bad name or option', [
      { label: 'revoke an unknown certificate', args: ['revoke', 'nothing-here'], code: ExitCodes.NOT_FOUND, message: /"nothing-here"/ },
      { label: 'delete an unknown certificate', args: ['delete', 'nothing-here'], code: ExitCodes.NOT_FOUND, message: /"nothing-here"/ },
      { label: 'renew an unknown certificate', args: ['renew', 'nothing-here'], code: ExitCodes.NOT_FOUND, message: /no certificate named "nothing-here"/ },
      { label: 'renew an unknown and a known certificate', args: ['renew', 'existing', 'ghost'], code: ExitCodes.NOT_FOUND, message: /no certificate named "ghost"/ },
      { label: 'a path as a name', args: issue('../account', 'a.example.com'), code: 2, message: /certificate name "\.\.\/account" is not valid/ },
      { label: 'a slash in the name', args: issue('live/x', 'a.example.com'), code: 2, message: /certificate name "live\/x" is not valid/ },
      { label: 'an uppercase name', args: issue('Shop', 'a.example.com'), code: 2, message: /certificate name "Shop" is not valid/ },
      { label: 'a 65-character name', args: issue('n'.repeat(65), 'a.example.com'), code: 2, message: /certificate name "n{65}" is not valid/ },
      { label: 'a bad key type', args: [...issue('kt', 'kt.example.com'), '--key-type', 'rsa-1024'], code: 2, message: /--key-type "rsa-1024" is not valid; expected rsa-2048 or ec-p256/ },
      { label: 'a bad revocation reason', args: ['revoke', 'existing', '--reason', 'because'], code: 2, message: /"because"/ },
      { label: 'show with two names', args: ['show', 'existing', 'other'], code: 2, message: /show needs exactly one certificate NAME/ },
    ]);
  });
});

describe('options each command takes', () => {
  it('refuses an option of another command (exit 2, naming the option and the command) before reading configuration or S3', async () => {
    // A broken ACME_DIRECTORY would be refused first if the configuration were read before the command line.
    const unread = { ACME_DIRECTORY: 'not a directory' };
    const refused = (command: string, option: string, owners: string) => new RegExp(`^${command} takes no --${option}: it is an option of ${owners} only$`);
    await refuses('CLI: an option the command does not take', [
      { label: 'issue --dry-run', args: [...issue('dry', 'dry.example.com'), '--dry-run'], env: unread, code: 2, message: refused('issue', 'dry-run', '`renew`') },
      { label: 'issue --force', args: [...issue('force', 'force.example.com'), '--force'], code: 2, message: refused('issue', 'force', '`renew`') },
      { label: 'list --force', args: ['list', '--force'], env: unread, code: 2, message: refused('list', 'force', '`renew`') },
      { label: 'delete --rotate-key', args: ['delete', 'existing', '--rotate-key'], code: 2, message: refused('delete', 'rotate-key', '`issue`, `renew`') },
      { label: 'show --name', args: ['show', 'existing', '--name', 'x'], code: 2, message: refused('show', 'name', '`issue`, `declare`, `certonly`, `undeclare`') },
      { label: 'revoke --recovery-days', args: ['revoke', 'existing', '--recovery-days', '7'], code: 2, message: refused('revoke', 'recovery-days', '`delete`') },
      { label: 'register --domain', args: ['register', '--domain', 'a.example.com'], code: 2, message: refused('register', 'domain', '`issue`, `declare`, `certonly`, `health`') },
      { label: 'health --skip-preflight', args: ['health', '--skip-preflight'], code: 2, message: refused('health', 'skip-preflight', '`issue`, `declare`, `certonly`, `renew`') },
      { label: 'renew --new-account', args: ['renew', '--new-account'], env: unread, code: 2, message: refused('renew', 'new-account', '`register`') },
      { label: 'list with a NAME', args: ['list', 'existing'], code: 2, message: /^list takes no NAME argument \(got "existing"\)$/ },
      { label: 'an option no command takes', args: ['list', '--frobnicate'], code: 2, message: /'--frobnicate'/ },
    ]);
  });

  it('--help prints every command with its own options, from the same table', async () => {
    const help = await runCli(stack, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}renew \[NAME\.\.\.\] \[--force\] \[--dry-run\] \[--rotate-key\] \[--skip-preflight\]/m);
    expect(help.stdout).toMatch(/^ {2}delete NAME \[--recovery-days N\]/m);
    expect(help.stdout).toMatch(/^ {2}issue --name NAME --domain D\.\.\. .*\[--skip-preflight\]$/m);
  });
});

describe('configuration', () => {
  it('refuses a bad CA directory (http://, not a URL) with exit 2 and an unreachable one with exit 4, writing nothing', { timeout: 240_000 }, async () => {
    const first = firstRegisterAgainstNobody();
    await refuses('CLI: bad ACME_DIRECTORY', [
      {
        label: 'plain http',
        args: ['register'],
        env: { ACME_DIRECTORY: `http://localhost:${stack.env.PEBBLE_PORT}/dir` },
        code: 2,
        message: /ACME_DIRECTORY="http:\/\/localhost:\d+\/dir" is not valid; expected .*https:\/\//,
      },
      {
        label: 'not a URL',
        args: ['register'],
        env: { ACME_DIRECTORY: 'acme.example.com/directory' },
        code: 2,
        message: /ACME_DIRECTORY="acme\.example\.com\/directory" is not valid; expected letsencrypt, letsencrypt-staging, zerossl or an https:\/\/ directory URL/,
      },
      {
        label: 'an unknown CA name',
        args: ['register'],
        env: { ACME_DIRECTORY: 'letsencrypt-prod' },
        code: 2,
        message: /ACME_DIRECTORY="letsencrypt-prod" is not valid; expected letsencrypt, letsencrypt-staging, zerossl or an https:\/\/ directory URL/,
      },
      { label: 'ftp', args: ['register'], env: { ACME_DIRECTORY: 'ftp://localhost/dir' }, code: 2, message: /ACME_DIRECTORY="ftp:\/\/localhost\/dir" is not valid/ },
      // acme-client retries a refused connection five times (75 s): the two run side by side
      {
        label: 'nothing listens (register)',
        args: ['register'],
        env: { ACME_DIRECTORY: `https://127.0.0.1:${closedPort}/dir` },
        code: ExitCodes.CA_FAILED,
        message: new RegExp(`registering the ACME account at https://127\\.0\\.0\\.1:${closedPort}/dir: the CA could not be reached`),
      },
      {
        label: 'nothing listens (issue)',
        args: [...issue('unreach', 'unreach.example.com'), '--skip-preflight'],
        env: { ACME_DIRECTORY: `https://127.0.0.1:${closedPort}/dir` },
        code: ExitCodes.CA_FAILED,
        message: new RegExp(`https://127\\.0\\.0\\.1:${closedPort}/dir: the CA could not be reached`),
      },
    ]);
    await first;
  });

  it('refuses a bad contact email, a half External Account Binding and a bad RENEW_BEFORE_DAYS, naming the variable and value', async () => {
    const email = (value: string): BadCase => ({
      label: `email ${value}`,
      args: ['register'],
      env: { ACME_CONTACT_EMAIL: value },
      code: 2,
      message: new RegExp(`ACME_CONTACT_EMAIL=${quoted(value).source} is not valid; expected one email address`),
    });
    const days = (value: string): BadCase => ({
      label: `days ${value}`,
      args: ['renew'],
      env: { RENEW_BEFORE_DAYS: value },
      code: 2,
      message: new RegExp(`RENEW_BEFORE_DAYS=${quoted(value).source} is not valid; expected a whole number of days from 1 to 365`),
    });
    await refuses('CLI: bad ACME_CONTACT_EMAIL, EAB and RENEW_BEFORE_DAYS', [
      email('not-an-email'),
      email('ops@localhost'),
      email('a@example.com,b@example.com'),
      email('ops @example.com'),
      email('@example.com'),
      email('mailto:ops@example.com'),
      { label: 'EAB kid only', args: ['register'], env: { ACME_EAB_KID: 'kid-1' }, code: 2, message: /ACME_EAB_KID and ACME_EAB_HMAC_KEY must be set together/ },
      { label: 'EAB key only', args: ['register'], env: { ACME_EAB_HMAC_KEY: 'c2VjcmV0' }, code: 2, message: /ACME_EAB_KID and ACME_EAB_HMAC_KEY must be set together/ },
      { label: 'EAB key not base64url', args: ['register'], env: { ACME_EAB_KID: 'kid-1', ACME_EAB_HMAC_KEY: 'not base64!' }, code: 2, message: /ACME_EAB_HMAC_KEY \(value not shown: secret\) is not valid/ },
      days('0'),
      days('-1'),
      days('366'),
      days('ten'),
      days('1.5'),
      days('30d'),
      days('0x1e'),
      days('1e2'),
    ]);
  });

  it('refuses CERTIFICATES it cannot parse, naming the entry, for every command', async () => {
    const set = (value: string, message: RegExp, args: readonly string[] = ['renew']): BadCase => ({ label: `CERTIFICATES=${JSON.stringify(value)} ${args[0]}`, args, env: { CERTIFICATES: value }, code: 2, message });
    await refuses('CLI: bad CERTIFICATES syntax', [
      set('shop', /CERTIFICATES entry "shop" has no domains; expected name=domain1,domain2/),
      set('shop=', /CERTIFICATES entry "shop" has no domains/),
      set('=a.example.com', /CERTIFICATES entry "": the name must be 1-64 lowercase/),
      set('Shop=a.example.com', /CERTIFICATES entry "Shop": the name must be 1-64 lowercase/),
      set('a=a.example.com a=b.example.com', /CERTIFICATES entry "a" appears twice/),
      set('w=*.example.com', /CERTIFICATES entry "w": domain "\*\.example\.com" is not valid: wildcard/),
      set('ip=10.0.0.1', /CERTIFICATES entry "ip": domain "10\.0\.0\.1" is not valid: IP addresses/),
      set('k=a.example.com;key=dsa-1024', /CERTIFICATES entry "k": option "key=dsa-1024" is not valid/),
      set('c=a.example.com;ca=http://insecure.example/dir', /CERTIFICATES entry "c": option "ca=http:\/\/insecure\.example\/dir" is not valid/),
      set('o=a.example.com;bogus', /CERTIFICATES entry "o": option "bogus" is not valid/),
      set('e=a.example.com,,b.example.com', /CERTIFICATES entry "e": domain "" is not valid: it is empty/),
      set('many=' + Array.from({ length: 101 }, (_, i) => `h${i}.example.com`).join(','), /CERTIFICATES entry "many": 101 names given/),
      set('shop', /CERTIFICATES entry "shop" has no domains/, ['register']),
      set('shop', /CERTIFICATES entry "shop" has no domains/, ['list']),
    ]);
  });

  it('refuses renew with a blank certificate set when nothing was ever issued (CERTIFICATES of only whitespace)', async () => {
    // on a bucket with certificates, renew without CERTIFICATES renews what exists (certbot's renew): see lifecycle
    const emptyAws = clientsFor(empty);
    const before = await emptyAws.list('');
    let survived = 0;
    const values = ['', ' ', '\n\t\n'];
    for (const value of values) {
      const result = await runCli(empty, ['renew'], { CERTIFICATES: value });
      expect(result.code).toBe(2);
      expect(String(eventOf(result, 'error').message)).toMatch(/there are no certificates to renew/);
      expect(await emptyAws.list('')).toEqual(before);
      survived++;
    }
    recordReliability({ suite: SUITE, kind: 'input', class: 'CLI: renew with an empty CERTIFICATES set', tried: values.length, survived, objectsLost: 0 });
  });
});

/**
 * The one case where a refused run writes: the very first `register` stores the new account key
 * (If-None-Match) and its public JWK before it contacts the CA, so that a key is never lost once
 * an account might exist for it. Shown here: exit 4, exactly those two objects, and the next
 * successful `register` reuses that key (same version), so nothing is orphaned.
 */
async function firstRegisterAgainstNobody(): Promise<void> {
  const emptyAws = clientsFor(empty);
  const versions = async () => ((await emptyAws.s3.send(new ListObjectVersionsCommand({ Bucket: emptyAws.bucket }))).Versions ?? []).map((v) => `${v.Key} ${v.VersionId}`).sort();
  expect(await versions()).toEqual([]);
  const failed = await runCli(empty, ['register'], { ACME_DIRECTORY: `https://127.0.0.1:${closedPort}/dir` });
  expect(failed.code, failed.stdout.slice(-800)).toBe(ExitCodes.CA_FAILED);
  expect(String(eventOf(failed, 'error').message)).toMatch(/the CA could not be reached/);
  const written = await versions();
  expect(written.map((v) => v.split(' ')[0])).toEqual(['account/jwk.json', 'account/key.pem']);
  const key = await emptyAws.read('account/key.pem');
  const registered = await runCli(empty, ['register']);
  expect(registered.code, registered.stdout.slice(-800)).toBe(0);
  expect(await emptyAws.read('account/key.pem')).toBe(key);
  expect((await versions()).filter((v) => v.startsWith('account/key.pem'))).toEqual(written.filter((v) => v.startsWith('account/key.pem')));
  recordReliability({ suite: SUITE, kind: 'fault', class: 'CLI: first register with the CA unreachable (key kept, reused)', tried: 1, survived: 1, objectsLost: 0 });
}
