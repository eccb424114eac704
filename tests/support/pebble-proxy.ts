import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { LocalStack } from './local-stack.js';
import { writeLocalhostCertificate } from './localhost-certificate.js';

export interface PebbleProxy {
  /** The directory URL through the proxy. */
  readonly directoryUrl: string;
  /** A PEM file trusting the proxy's certificate and pebble's (for ACME_TLS_CA_FILE). */
  readonly trustFile: string;
  close(): void;
}

/**
 * A TLS proxy in front of the stack's pebble that passes every request through. `host`: `pebble`
 * rewrites Host to pebble's, so the URLs pebble hands out bypass the proxy (only what is asked of
 * the proxy's URL passes it); `proxy` keeps the client's, so pebble names every URL at the proxy
 * and the whole conversation goes through it. `intercept` may answer a request itself (return
 * true) or just look at it.
 */
export async function startPebbleProxy(
  stack: Pick<LocalStack, 'env'>,
  options: { readonly host: 'pebble' | 'proxy'; readonly intercept?: (request: IncomingMessage, response: ServerResponse) => boolean },
): Promise<PebbleProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'pebble-proxy-'));
  const { certFile, keyFile } = writeLocalhostCertificate(dir);
  const pebbleTrust = readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8');
  const toPebble = new Agent({ keepAlive: true, secureContext: createSecureContext({ ca: pebbleTrust }) });
  const pebble = new URL(stack.env.ACME_DIRECTORY!);
  const proxy = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (request, response) => {
    if (options.intercept?.(request, response) === true) return;
    const headers = options.host === 'pebble' ? { ...request.headers, host: pebble.host } : request.headers;
    const upstream = httpsRequest(new URL(request.url ?? '/', pebble), { method: request.method, headers, agent: toPebble }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  // One file trusting both, as ACME_TLS_CA_FILE allows.
  const trustFile = join(dir, 'trust.pem');
  writeFileSync(trustFile, `${readFileSync(certFile, 'utf8')}${pebbleTrust}`);
  return {
    directoryUrl: `https://localhost:${(proxy.address() as AddressInfo).port}${pebble.pathname}`,
    trustFile,
    close: () => {
      proxy.close();
      toPebble.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
