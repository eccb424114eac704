// A second, independent pebble beside a local stack's own (a second CA for failover tests): its
// own ports, state and roots, the stack's TLS certificate (so ACME_TLS_CA_FILE trusts both), the
// stack's challtestsrv for DNS, and the stack's HTTP-01 port, so the same responder answers its
// challenges for the same account key. Started and stopped by the test that uses it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type LocalStack } from './local-stack.js';

export interface SecondPebble {
  readonly directoryUrl: string;
  /** Pebble's view of one certificate it issued ("Valid" or "Revoked"); HTTP 404 when it never issued that serial. */
  certStatus(serial: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

/** Free ports for a second pebble, known before the stack starts (its CERTIFICATES may name the directory). */
export async function secondPebblePorts(): Promise<{ port: number; managementPort: number }> {
  return { port: await freePort(), managementPort: await freePort() };
}

/** `blockedDomains`: names this pebble refuses to order for (rejectedIdentifier), its own policy. `ports`: from secondPebblePorts, else free ones. */
export async function startSecondPebble(
  stack: Pick<LocalStack, 'env' | 'stateDir' | 'httpPort'>,
  options: { readonly blockedDomains?: readonly string[]; readonly ports?: { readonly port: number; readonly managementPort: number } } = {},
): Promise<SecondPebble> {
  const { port, managementPort } = options.ports ?? (await secondPebblePorts());
  const dir = join(stack.stateDir, 'pebble-second');
  mkdirSync(dir, { recursive: true });
  const tls = join(stack.stateDir, 'pebble');
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(tls, 'tls-cert.pem'),
        privateKey: join(tls, 'tls-key.pem'),
        httpPort: stack.httpPort,
        tlsPort: 0,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        domainBlocklist: options.blockedDomains ?? [],
      },
    }),
  );
  const log = createWriteStream(join(dir, 'pebble.log'));
  const child: ChildProcess = spawn(stack.env.PEBBLE_BIN ?? 'pebble', ['-config', config, '-dnsserver', `127.0.0.1:${stack.env.CHALLTESTSRV_DNS_PORT}`], {
    env: { PATH: process.env.PATH ?? '', PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const agent = new Agent({ ca: readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8') });
  const request = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(url, { agent }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  const directoryUrl = `https://localhost:${port}/dir`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    agent.destroy();
  };
  for (let attempt = 0; ; attempt++) {
    const answer = await request(directoryUrl).catch(() => undefined);
    if (answer?.status === 200 && answer.body.includes('newAccount')) break;
    if (attempt > 300 || child.exitCode !== null) {
      await stop();
      throw new Error(`the second pebble did not start; see ${join(dir, 'pebble.log')}`);
    }
    await sleep(100);
  }
  return { directoryUrl, certStatus: (serial) => request(`https://localhost:${managementPort}/cert-status-by-serial/${serial}`), stop };
}
