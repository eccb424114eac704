// A full run (register with External Account Binding, issue, health, show) through the real CLI,
// with the ACME client's debug trace on (ACME_CLIENT_DEBUG), and not one byte of key material in any output: no PEM
// private key, not the account key's `d`, not the certificate key's `d`, not the EAB HMAC key.
// The CA is a second real pebble that requires EAB (the stack's own one does not).
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { freePort, runCli, startLocalStack, type CliResult, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let pebble: ChildProcess | undefined;
let directory: string;
const eabKid = 'kid-secret-test';
const eabHmacKey = randomBytes(32).toString('base64url');

async function directoryUp(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    get(url, { agent: new Agent({ ca }) }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  stack = await startLocalStack({ name: 'secrets' });
  const [port, management] = [await freePort(), await freePort()];
  const config = join(stack.stateDir, 'pebble-eab.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: join(stack.stateDir, 'pebble', 'tls-cert.pem'),
        privateKey: join(stack.stateDir, 'pebble', 'tls-key.pem'),
        httpPort: stack.httpPort,
        tlsPort: 0,
        ocspResponderURL: '',
        externalAccountBindingRequired: true,
        externalAccountMACKeys: { [eabKid]: eabHmacKey },
      },
    }),
  );
  pebble = spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${stack.env.CHALLTESTSRV_DNS_PORT}`], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: 'ignore',
  });
  directory = `https://localhost:${port}/dir`;
  const ca = readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8');
  for (let i = 0; i < 100 && !(await directoryUp(directory, ca)); i++) await new Promise((r) => setTimeout(r, 100));
});
afterAll(async () => {
  pebble?.kill();
  await stack?.stop();
});

describe('no key material in the output of a full run', () => {
  it('register (EAB) + issue + health + show print no private key, account key d, certificate key d or EAB HMAC key', async () => {
    const env = { ACME_DIRECTORY: directory, ACME_EAB_KID: eabKid, ACME_EAB_HMAC_KEY: eabHmacKey, ACME_CLIENT_DEBUG: 'true' };
    const runs: CliResult[] = [];
    for (const args of [['register'], ['issue', '--name', 'secret', '--domain', 'secret.example.com'], ['health'], ['show', 'secret'], ['list']]) {
      const result = await runCli(stack, args, env);
      expect(result.code, `${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).toBe(0);
      runs.push(result);
    }
    // The run really happened: EAB registration and issuance at the EAB pebble, with the debug trace on.
    expect(runs[1]!.events.find((e) => e.event === 'issued')).toBeDefined();
    expect(runs.map((r) => r.stderr).join('')).toMatch(/acme: POST https:\/\/\S+ nonce=\S+ -> 20[01] /);

    const aws = clientsFor(stack);
    const accountKeyPem = (await aws.read('account/key.pem'))!;
    const certKeyPem = (await aws.read('live/secret/privkey.pem'))!;
    const accountD = String(createPrivateKey(accountKeyPem).export({ format: 'jwk' }).d);
    const certD = String(createPrivateKey(certKeyPem).export({ format: 'jwk' }).d);
    expect(accountD.length).toBeGreaterThan(20);
    expect(certD.length).toBeGreaterThan(20);
    const keyBody = (pem: string) => pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));

    const output = runs.map((r) => `${r.stdout}\n${r.stderr}`).join('\n');
    const adapterLog = readFileSync(join(stack.stateDir, 'logs', 'adapter.log'), 'utf8');
    for (const text of [output, adapterLog, stack.responderLog()]) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(accountD);
      expect(text).not.toContain(certD);
      expect(text).not.toContain(eabHmacKey);
      for (const line of [...keyBody(accountKeyPem), ...keyBody(certKeyPem)]) expect(text).not.toContain(line);
    }
  });
});
