import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import acme from 'acme-client';
import { ErrorCodes, IssuerError } from '../../lib/core/index.js';

/**
 * Trusts extra roots for the CA's HTTPS endpoint only (acme-client's own axios instance), so a
 * private CA or the local pebble works without touching TLS for S3, ACM or anything else.
 */
export function trustCaRoots(file: string | undefined): void {
  if (file === undefined) return;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new IssuerError(ErrorCodes.CONFIG_INVALID, `ACME_TLS_CA_FILE="${file}" cannot be read`, {
      hint: 'point it at a PEM file of the CA endpoint\'s TLS root, or leave it empty to use the system roots (run `just up` to make the local one)',
      cause,
    });
  }
  // One secure context for every connection: with `ca` on the agent, Node parses the whole trust
  // store again for each TLS connection, which made a 50-name order CPU-bound (found by the bench).
  const secureContext = createSecureContext({ ca: [...rootCertificates, pem] });
  acme.axios.defaults.httpsAgent = new Agent({ secureContext, keepAlive: true });
}
