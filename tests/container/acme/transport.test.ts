// The issuer's HTTPS requests to the CA (container/acme/transport.ts) against real TLS servers on
// loopback that answer as a CA under trouble does: 503s, rate limits, redirects, a dropped
// connection, silence, nothing listening. pebble covers the good path in the other e2e files.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:https';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDirectory, fetchRenewalInfo } from '../../../container/acme/directory.js';
import { configureCaConnections } from '../../../container/acme/tls.js';
import { USER_AGENT, caRequest } from '../../../container/acme/transport.js';
import { writeLocalhostCertificate } from '../../support/localhost-certificate.js';

let dir: string;
let cert: string;
let key: string;
let agent: Agent;
const servers: Server[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-transport-'));
  writeLocalhostCertificate(dir);
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
  agent = new Agent({ keepAlive: true, secureContext: createSecureContext({ ca: cert }) });
});
afterAll(() => {
  for (const server of servers) server.close();
  agent?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A TLS server on a free loopback port; `answer` gets the request's number (1, 2, ...). */
async function serve(answer: (request: IncomingMessage, response: ServerResponse, count: number, body: string) => void) {
  let count = 0;
  const server = createServer({ cert, key }, (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => answer(request, response, ++count, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => count, server };
}

const json = (response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(value));
};

describe('answers', () => {
  it('parses JSON, keeps a PEM as text, sends a POST body as JOSE JSON', async () => {
    const ca = await serve((request, response, _count, body) => {
      if (request.url === '/cert') {
        response.writeHead(200, { 'content-type': 'application/pem-certificate-chain' });
        response.end('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      } else {
        json(response, 201, { method: request.method, type: request.headers['content-type'], body: JSON.parse(body || 'null') as unknown }, { 'replay-nonce': 'n1', location: '/order/1' });
      }
    });
    const send = caRequest(agent);
    const posted = await send(`${ca.url}/new-order`, 'post', { data: { protected: 'p', payload: '', signature: 's' } });
    expect(posted.status).toBe(201);
    expect(posted.data).toEqual({ method: 'POST', type: 'application/jose+json', body: { protected: 'p', payload: '', signature: 's' } });
    expect(posted.headers['replay-nonce']).toBe('n1');
    expect(posted.headers.location).toBe('/order/1');
    expect((await send(`${ca.url}/cert`, 'post', { data: {} })).data).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect((await send(`${ca.url}/nonce`, 'head')).data).toBe('');
  });

  it('names itself in a User-Agent (RFC 8555 §6.1)', async () => {
    let userAgent: string | undefined;
    const ca = await serve((request, response) => {
      userAgent = request.headers['user-agent'];
      json(response, 200, { newNonce: '/n' });
    });
    expect((await caRequest(agent, 5000, {})(`${ca.url}/dir`, 'get')).status).toBe(200);
    expect(userAgent).toBe(USER_AGENT);
  });

  it('follows a redirect of a GET, not of a POST', async () => {
    const ca = await serve((request, response) => {
      if (request.url === '/directory') return json(response, 200, { ok: true });
      response.writeHead(302, { location: '/directory' });
      response.end();
    });
    const send = caRequest(agent);
    expect((await send(`${ca.url}/dir`, 'get')).data).toEqual({ ok: true });
    expect((await send(`${ca.url}/dir`, 'post', { data: {} })).status).toBe(302);
  });

  it('goes through a CONNECT tunnel when HTTPS_PROXY is set, with the same TLS trust, and not for NO_PROXY hosts', async () => {
    const tunnels: string[] = [];
    const proxy = createHttpServer();
    proxy.on('connect', (request: IncomingMessage, client: import('node:net').Socket) => {
      tunnels.push(request.url ?? '');
      const [host, port] = (request.url ?? '').split(/:(?=\d+$)/);
      const upstream = connect(Number(port), host === '[::1]' ? '::1' : host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const ca = await serve((request, response) => json(response, 201, { method: request.method }, { 'replay-nonce': 'n1' }));
      const env = { HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
      // Inside the tunnel the TLS trust is the one the CLI configured (ACME_TLS_CA_FILE).
      const trusting = configureCaConnections(join(dir, 'cert.pem'));
      const posted = await caRequest(trusting, 5000, env)(`${ca.url}/new-order`, 'post', { data: {} });
      expect(posted).toMatchObject({ status: 201, data: { method: 'POST' } });
      expect(tunnels).toEqual([new URL(ca.url).host]);
      await caRequest(trusting, 5000, { ...env, NO_PROXY: 'localhost,127.0.0.1' })(`${ca.url}/x`, 'post', { data: {} });
      expect(tunnels).toHaveLength(1);
      expect(ca.requests()).toBe(2);
    } finally {
      proxy.close();
    }
  });
});

describe('trouble', () => {
  it('repeats a request the CA answered 503, waiting the Retry-After it gave', async () => {
    const ca = await serve((_request, response, count) => (count < 3 ? json(response, 503, { type: 'urn:ietf:params:acme:error:serverInternal' }, { 'retry-after': '1' }) : json(response, 200, { ok: count })));
    const started = Date.now();
    const answer = await caRequest(agent)(`${ca.url}/x`, 'post', { data: {} });
    expect(answer).toMatchObject({ status: 200, data: { ok: 3 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('returns a rate limit at once when the CA asks for more than 10 s, and waits for a short one', async () => {
    const limited = await serve((_request, response) => json(response, 429, { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many' }, { 'retry-after': '3600' }));
    const answer = await caRequest(agent)(`${limited.url}/x`, 'post', { data: {} });
    expect(answer).toMatchObject({ status: 429, data: { type: 'urn:ietf:params:acme:error:rateLimited' } });
    expect(limited.requests()).toBe(1);

    const brief = await serve((_request, response, count) => (count === 1 ? json(response, 429, {}, { 'retry-after': '1' }) : json(response, 200, {})));
    expect((await caRequest(agent)(`${brief.url}/x`, 'post', { data: {} })).status).toBe(200);
    expect(brief.requests()).toBe(2);
  });

  it('gives up after three retries of a CA that keeps failing, with its last answer', async () => {
    const ca = await serve((_request, response) => json(response, 500, { type: 'urn:ietf:params:acme:error:serverInternal' }, { 'retry-after': '0' }));
    const answer = await caRequest(agent)(`${ca.url}/x`, 'post', { data: {} });
    expect(answer.status).toBe(500);
    expect(ca.requests()).toBe(4);
  });

  it('sends again a request whose connection the CA dropped', async () => {
    const ca = await serve((request, response, count) => (count === 1 ? request.socket.destroy() : json(response, 200, { count })));
    expect((await caRequest(agent)(`${ca.url}/x`, 'post', { data: {} })).data).toEqual({ count: 2 });
  });

  it('fails at once, naming the cause, when nothing listens', async () => {
    const ca = await serve((_request, response) => json(response, 200, {}));
    const url = `${ca.url}/dir`;
    await new Promise((resolve) => ca.server.close(resolve));
    const started = Date.now();
    await expect(caRequest(agent)(url, 'get')).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a CA that accepts and never answers', async () => {
    const ca = await serve(() => undefined);
    await expect(caRequest(agent, 500)(`${ca.url}/dir`, 'get')).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/no answer from .* within 0.5 s/) });
  });

  it('refuses a CA whose TLS certificate it does not trust', async () => {
    const ca = await serve((_request, response) => json(response, 200, {}));
    await expect(caRequest(new Agent())(`${ca.url}/dir`, 'get')).rejects.toThrow(/self.signed|certificate/i);
  });
});

describe('the directory and ARI reads (directory.ts) go through the same transport', () => {
  // directory.ts uses the agent the CLI configures at start; here, one trusting the test CA.
  beforeAll(() => void configureCaConnections(join(dir, 'cert.pem')));

  it('reads the directory and a renewal window, repeating a 503, and keeps the Retry-After of ARI', async () => {
    let ari = '';
    const ca = await serve((request, response, count) => {
      if (request.url === '/dir' && count === 1) json(response, 503, { type: 'urn:ietf:params:acme:error:serverInternal' }, { 'retry-after': '0' });
      else if (request.url === '/dir') json(response, 200, { newNonce: '/n', renewalInfo: `${ari}/renewal-info/`, meta: { profiles: { classic: 'the old one' } } });
      else json(response, 200, { suggestedWindow: { start: '2027-01-01T00:00:00Z', end: '2027-01-02T00:00:00Z' }, explanationURL: 'https://ca.example/why' }, { 'retry-after': '3600' });
    });
    ari = ca.url;
    const directory = await fetchDirectory(`${ca.url}/dir`);
    const resource = { newNonce: '/n', renewalInfo: `${ca.url}/renewal-info/`, meta: { profiles: { classic: 'the old one' } } };
    expect(directory).toEqual({ url: `${ca.url}/dir`, resource, renewalInfo: `${ca.url}/renewal-info/`, profiles: { classic: 'the old one' }, caaIdentities: [] });
    const now = new Date('2026-12-01T00:00:00Z');
    expect(await fetchRenewalInfo(directory, 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE', now)).toEqual({
      window: { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-01-02T00:00:00Z') },
      checkAgainAt: new Date('2026-12-01T01:00:00Z'),
      explanationUrl: 'https://ca.example/why',
    });
    expect(ca.requests()).toBe(3);
  });

  it('says what the CA answered when the directory is not there', async () => {
    const ca = await serve((_request, response) => json(response, 404, { type: 'urn:ietf:params:acme:error:malformed', detail: 'no such resource' }));
    await expect(fetchDirectory(`${ca.url}/nope`)).rejects.toMatchObject({
      code: 'ERR_ORDER_FAILED',
      message: expect.stringMatching(/reading the CA directory: the CA answered: HTTP 404 from .*\/nope: no such resource/),
    });
  });

  it('fails at once, as unreachable, when nothing listens (axios retried for 75 s)', async () => {
    const ca = await serve((_request, response) => json(response, 200, {}));
    await new Promise((resolve) => ca.server.close(resolve));
    const started = Date.now();
    await expect(fetchDirectory(`${ca.url}/dir`)).rejects.toMatchObject({ code: 'ERR_CA_UNAVAILABLE', message: expect.stringMatching(/ECONNREFUSED/) });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
