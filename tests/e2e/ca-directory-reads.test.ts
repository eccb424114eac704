// How often a run reads the CA's directory, counted at a TLS proxy in front of pebble. The
// directory names pebble's own URLs for everything else, so only the directory GETs pass the
// proxy. One read per run: the ACME client is given the directory the issuer already read (for ARI
// and profiles) instead of fetching it again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { startPebbleProxy, type PebbleProxy } from '../support/pebble-proxy.js';

let stack: LocalStack;
let proxy: PebbleProxy;
let proxied: string[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'dirreads' });
  proxy = await startPebbleProxy(stack, {
    host: 'pebble',
    intercept: (request) => {
      proxied.push(`${request.method} ${request.url}`);
      return false;
    },
  });
  env = { ACME_DIRECTORY: proxy.directoryUrl, ACME_TLS_CA_FILE: proxy.trustFile };
});
afterAll(async () => {
  proxy?.close();
  await stack?.stop();
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
