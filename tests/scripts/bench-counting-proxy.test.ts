// The protocol part's counting proxy (bench/lib/counting-proxy.ts) in front of a real pebble:
// pebble's URLs come back pointing at the proxy (so no tool can bypass it), every request is
// recorded with its kind and status, and the delay is added each way.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingProxy } from '../../bench/lib/counting-proxy.js';
import { freePort } from '../../scripts/local/free-port.js';
import { writeLocalhostCertificate } from '../support/localhost-certificate.js';

const dir = mkdtempSync(join(tmpdir(), 'counting-proxy-'));
const { certFile, keyFile } = writeLocalhostCertificate(dir);
let pebble: ChildProcess;
let pebblePort = 0;

function call(url: string, method = 'GET'): Promise<{ status: number; body: string; ms: number }> {
  const agent = new Agent({ ca: readFileSync(certFile) });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { method, agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, ms: performance.now() - started }));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  pebblePort = await freePort();
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${pebblePort}`,
        managementListenAddress: `127.0.0.1:${await freePort()}`,
        certificate: certFile,
        privateKey: keyFile,
        httpPort: await freePort(),
        tlsPort: 0,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  pebble = spawn('pebble', ['-config', config], { stdio: 'ignore', env: { ...process.env, PEBBLE_VA_NOSLEEP: '1' } });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await call(`https://localhost:${pebblePort}/dir`);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 30_000);

afterAll(() => {
  pebble?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench counting proxy', () => {
  it('forwards to pebble, whose URLs then name the proxy, and records each request by kind', async () => {
    const proxy = new CountingProxy({ targetPort: pebblePort, certFile, keyFile, delayMs: 0 });
    await proxy.start();
    try {
      const directory = await call(proxy.directoryUrl);
      expect(directory.status).toBe(200);
      const urls = JSON.parse(directory.body) as { newNonce: string; newOrder: string };
      expect(new URL(urls.newNonce).port).toBe(String(proxy.port));
      expect(new URL(urls.newOrder).port).toBe(String(proxy.port));
      await call(urls.newNonce, 'HEAD');
      const recorded = proxy.take();
      expect(recorded.map((r) => [r.kind, r.status])).toEqual([
        ['GET /dir', 200],
        ['HEAD /nonce-plz', 200],
      ]);
      expect(recorded[1]!.startMs).toBeGreaterThanOrEqual(recorded[0]!.endMs);
      expect(proxy.take()).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('adds its delay before forwarding and again before answering', async () => {
    const proxy = new CountingProxy({ targetPort: pebblePort, certFile, keyFile, delayMs: 60 });
    await proxy.start();
    try {
      const answer = await call(proxy.directoryUrl);
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeGreaterThanOrEqual(120);
      const [recorded] = proxy.take();
      expect(recorded!.endMs - recorded!.startMs).toBeGreaterThanOrEqual(119);
    } finally {
      await proxy.stop();
    }
  });
});
