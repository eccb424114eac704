// Pebble's management API (roots, certificate status), reached over its own TLS certificate.
import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import type { LocalStack } from './local-stack.js';

export async function pebbleManagement(stack: LocalStack, path: string): Promise<{ status: number; body: string }> {
  const agent = new Agent({ ca: readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8') });
  return new Promise((resolve, reject) => {
    get(`https://localhost:${stack.pebbleManagementPort}${path}`, { agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Pebble's view of one certificate: "Valid" or "Revoked", with the reason code. */
export async function pebbleCertStatus(stack: LocalStack, serial: string): Promise<{ Status: string; Reason?: number }> {
  const response = await pebbleManagement(stack, `/cert-status-by-serial/${serial}`);
  if (response.status !== 200) throw new Error(`cert-status-by-serial/${serial}: HTTP ${response.status} ${response.body}`);
  return JSON.parse(response.body) as { Status: string; Reason?: number };
}
