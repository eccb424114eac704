// A second CA beside a test stack's pebble: another pebble process on its own ports, with the
// stack's TLS certificate (so ACME_TLS_CA_FILE trusts both), DNS server and HTTP-01 port, so it
// validates through the same ALB adapter and responder. The test stops it (afterAll).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { join } from 'node:path';
import { freePort, type LocalStack } from './local-stack.js';

export interface SecondPebble {
  readonly directoryUrl: string;
  stop(): Promise<void>;
}

/** Free ports for the second pebble, known before the stack starts (its CERTIFICATES may name the directory). */
export async function secondPebblePorts(): Promise<{ port: number; managementPort: number }> {
  return { port: await freePort(), managementPort: await freePort() };
}

export async function startSecondPebble(stack: LocalStack, ports: { port: number; managementPort: number }): Promise<SecondPebble> {
  const dir = join(stack.stateDir, 'pebble');
  const config = join(dir, 'pebble-second.json');
  const pebble = {
    listenAddress: `127.0.0.1:${ports.port}`,
    managementListenAddress: `127.0.0.1:${ports.managementPort}`,
    certificate: join(dir, 'tls-cert.pem'),
    privateKey: join(dir, 'tls-key.pem'),
    httpPort: stack.httpPort,
    tlsPort: 0,
    ocspResponderURL: '',
    externalAccountBindingRequired: false,
  };
  writeFileSync(config, JSON.stringify({ pebble }));
  const child = spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${stack.env.CHALLTESTSRV_DNS_PORT!}`], {
    env: { PATH: process.env.PATH ?? '', PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: 'ignore',
  });
  const directoryUrl = `https://localhost:${ports.port}/dir`;
  const agent = new Agent({ ca: readFileSync(join(dir, 'tls-cert.pem'), 'utf8') });
  const up = () =>
    new Promise<boolean>((resolve) => {
      get(directoryUrl, { agent }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      }).on('error', () => resolve(false));
    });
  for (let i = 0; !(await up()); i++) {
    if (i > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the second pebble did not come up on ${directoryUrl}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    directoryUrl,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
