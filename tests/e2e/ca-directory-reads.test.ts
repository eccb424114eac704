// How often a run reads the CA's directory, counted at a TLS proxy in front of pebble. The
// directory names pebble's own URLs for everything else, so only the directory GETs pass the
// proxy. One read per run: the ACME client is given the directory the issuer already read (for ARI
// and profiles) instead of fetching it again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { writeLocalhostCertificate } from '../support/localhost-certificate.js';

let stack: LocalStack;
let dir: string;
let proxy: Server;
let proxied: string[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'dirreads' });
  dir = mkdtempSync(join(tmpdir(), 'dirreads-'));
  writeLocalhostCertificate(dir);
  const pebbleTrust = readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8');
  const toPebble = new Agent({ keepAlive: true, secureContext: createSecureContext({ ca: pebbleTrust }) });
  const pebble = new URL(stack.env.ACME_DIRECTORY!);
  proxy = createServer({ cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }, (request, response) => {
    proxied.push(`${request.method} ${request.url}`);
    const upstream = httpsRequest(new URL(request.url ?? '/', pebble), { method: request.method, headers: { ...request.headers, host: pebble.host }, agent: toPebble }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  // The issuer trusts the proxy's certificate and pebble's: one file, as ACME_TLS_CA_FILE allows.
  writeFileSync(join(dir, 'trust.pem'), `${readFileSync(join(dir, 'cert.pem'), 'utf8')}${pebbleTrust}`);
  env = { ACME_DIRECTORY: `https://localhost:${(proxy.address() as AddressInfo).port}/dir`, ACME_TLS_CA_FILE: join(dir, 'trust.pem') };
});
afterAll(async () => {
  proxy?.close();
  await stack?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('directory reads', () => {
  it('reads the directory once in a register run, and once in an issue run (whose renewal plan looks for ARI in it)', async () => {
    const registered = await runCli(stack, ['register'], env);
    expect(registered.code, registered.stderr).toBe(0);
    expect(proxied).toEqual(['GET /dir']);

    proxied = [];
    const issued = await runCli(stack, ['issue', '--name', 'once', '--domain', 'once.example.com'], env);
    expect(issued.code, issued.stderr).toBe(0);
    // Debian's pebble offers no ARI: the plan read the directory, found none, and fell back
    expect(issued.events.find((e) => e.event === 'issued')?.renewAt).toMatch(/\(1\/3 of lifetime left\)$/);
    expect(proxied).toEqual(['GET /dir']);
  });
});
