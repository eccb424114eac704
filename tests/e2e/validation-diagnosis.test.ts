// When the CA itself rejects a challenge (pre-flight skipped), the error names the domain, the
// CA's problem type and detail, the validation record (URL, address, status when reported), and
// the likely cause with what to do. Each cause is made for real for pebble on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventOf, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { addA, httpServerAt, metricLines, onlyExplicitRecords, type Running } from '../support/loopback.js';

let stack: LocalStack;
const servers: Running[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ name: 'cadiag' });
  await onlyExplicitRecords(stack);
  await addA(stack, 'refused.example.com', '127.0.0.2');
  await addA(stack, 'other.example.com', '127.0.0.3');
  await addA(stack, 'notfound.example.com', '127.0.0.5');
  await addA(stack, 'redirect.example.com', '127.0.0.4');
  servers.push(
    await httpServerAt('127.0.0.3', stack.httpPort, () => ({ status: 200, body: 'Welcome to nginx!' })),
    await httpServerAt('127.0.0.5', stack.httpPort, () => ({ status: 404, body: 'no such page' })),
    await httpServerAt('127.0.0.4', stack.httpPort, (path) => ({ status: 302, headers: { location: `https://redirect.example.com${path}` } })),
  );
  const registered = await runCli(stack, ['register']);
  expect(registered.code, registered.stderr).toBe(0);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await stack?.stop();
});

async function rejectedByCa(domain: string) {
  const result = await runCli(stack, ['issue', '--name', domain.split('.')[0]!, '--domain', domain, '--skip-preflight']);
  expect(result.code, result.stdout + result.stderr).toBe(3);
  const error = eventOf(result, 'error');
  expect(error.code).toBe('ERR_VALIDATION_FAILED');
  // The CA was asked: the order and validation steps ran.
  expect(result.events.filter((e) => e.event === 'step').map((e) => e.step)).toContain('create order');
  expect(metricLines(result.stdout, 'IssuanceFailed')).toEqual([expect.objectContaining({ Operation: 'issue', errorCode: 'ERR_VALIDATION_FAILED' })]);
  return { result, message: String(error.message), hint: String(error.hint), failures: metricLines(result.stdout, 'ValidationFailures') };
}

describe('the CA rejects a challenge', () => {
  it('a name that resolves nowhere: domain, problem type, detail, URL, cause and fix', async () => {
    const { message, hint, failures } = await rejectedByCa('nowhere.example.com');
    expect(message).toMatch(/^the CA could not validate nowhere\.example\.com:/);
    expect(message).toMatch(/- nowhere\.example\.com: CA problem urn:ietf:params:acme:error:connection: .*could not resolve URL/);
    expect(message).toMatch(new RegExp(`validation record: GET http://nowhere\\.example\\.com:${stack.httpPort}/\\.well-known/acme-challenge/[A-Za-z0-9_-]{43}`));
    expect(message).toMatch(/likely cause: no DNS record\n/);
    expect(message).toMatch(/what to do: create a CNAME record for the name pointing at the ALB DNS name/);
    expect(hint).toMatch(/health --domain NAME/);
    expect(failures).toEqual([
      expect.objectContaining({
        Stage: 'ca',
        Cause: 'dns-no-record',
        domain: 'nowhere.example.com',
        ValidationFailures: 1,
      }),
    ]);
  });

  it('an address where nothing listens: the address tried, connection refused', async () => {
    const { message, failures } = await rejectedByCa('refused.example.com');
    expect(message).toMatch(/dial tcp 127\.0\.0\.2:\d+: connect: connection refused/);
    expect(message).toMatch(/validation record: GET http:\/\/refused\.example\.com:\d+\/\.well-known\/acme-challenge\/\S+ at 127\.0\.0\.2/);
    expect(message).toMatch(/likely cause: connection refused\n\s+what to do: nothing accepts connections on the HTTP port there/);
    expect(failures.map((f) => f.Cause)).toEqual(['connection-refused']);
  });

  it('another server answering 200 with something else', async () => {
    const { message, failures } = await rejectedByCa('other.example.com');
    expect(message).toMatch(/CA problem urn:ietf:params:acme:error:unauthorized: The key authorization file from the server did not match this challenge .*Welcome to nginx!/);
    expect(message).toMatch(/validation record: GET http:\/\/other\.example\.com\/\.well-known\/acme-challenge\/\S+ \(URL not reported by the CA; built from the challenge\)/);
    expect(message).toMatch(/likely cause: wrong answer from another server\n\s+what to do: another server or rule answered/);
    expect(failures.map((f) => f.Cause)).toEqual(['wrong-answer']);
  });

  it('another server answering 404: the status is in the record', async () => {
    const { message, failures } = await rejectedByCa('notfound.example.com');
    expect(message).toMatch(/CA problem urn:ietf:params:acme:error:unauthorized: .*404/);
    expect(message).toMatch(/validation record: GET .* answered HTTP 404/);
    expect(message).toMatch(/likely cause: wrong answer from another server/);
    expect(failures.map((f) => f.Cause)).toEqual(['wrong-answer']);
  });

  it('a redirect the CA followed to a place that fails', async () => {
    const { message, failures } = await rejectedByCa('redirect.example.com');
    expect(message).toMatch(/Get "https:\/\/redirect\.example\.com\/\.well-known\/acme-challenge\/\S+": dial tcp 127\.0\.0\.4:443/);
    expect(message).toMatch(/likely cause: redirect \(the CA was redirected to https:\/\/redirect\.example\.com\/\.well-known\/acme-challenge\/\S+\)\n\s+what to do: the challenge path must be answered on plain HTTP/);
    expect(failures.map((f) => f.Cause)).toEqual(['redirect']);
  });
});
