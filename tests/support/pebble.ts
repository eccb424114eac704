// Pebble's management API (roots, certificate status), reached over its own TLS certificate.
import { readFileSync } from 'node:fs';
import { Agent, get, request } from 'node:https';
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

/**
 * Moves a certificate's ARI window at pebble for real (its management endpoint
 * /set-renewal-info/, pebble 2.7+): from then on pebble's renewalInfo answers `ariResponse`
 * verbatim for that certificate (a JSON body of our choosing, e.g. a window in the past and an
 * explanationURL, as Let's Encrypt did in its 2026 revocation drill).
 */
export async function pebbleSetRenewalInfo(stack: LocalStack, certificatePem: string, ariResponse: unknown): Promise<void> {
  const agent = new Agent({ ca: readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8') });
  const body = JSON.stringify({ Certificate: certificatePem, ARIResponse: JSON.stringify(ariResponse) });
  const status = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const req = request(`https://localhost:${stack.pebbleManagementPort}/set-renewal-info/`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'user-agent': 'acme-on-aws-tests' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  if (status.code !== 200) throw new Error(`set-renewal-info: HTTP ${status.code} ${status.text}`);
}
