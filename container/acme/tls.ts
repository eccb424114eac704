import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ErrorCodes, IssuerError } from '../../lib/core/index.js';
import { MAX_SIGNED_REQUESTS_IN_FLIGHT } from './request-pacing.js';

let agent: Agent | undefined;
let context: SecureContext | undefined;

/**
 * The connections to the CA (signed requests, directory, ARI, health; nothing else): kept alive and
 * bounded, with the signed requests' slots plus two for the unsigned directory and ARI reads.
 * `caFile` adds a root for a private CA or the local pebble without touching TLS for S3 or ACM.
 */
export function configureCaConnections(caFile: string | undefined): Agent {
  const secureContext = caFile === undefined ? undefined : contextTrusting(caFile);
  context = secureContext;
  agent = new Agent({
    keepAlive: true,
    maxSockets: MAX_SIGNED_REQUESTS_IN_FLIGHT + 2,
    ...(secureContext === undefined ? {} : { secureContext }),
  });
  return agent;
}

/** The agent configureCaConnections made (one with the system roots when it was not called). */
export function caAgent(): Agent {
  return agent ?? configureCaConnections(undefined);
}

/** The trust configureCaConnections set up (undefined: the system roots), for TLS inside a proxy tunnel. */
export function caSecureContext(): SecureContext | undefined {
  return context;
}

function contextTrusting(file: string): SecureContext {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new IssuerError(ErrorCodes.CONFIG_INVALID, `ACME_TLS_CA_FILE="${file}" cannot be read`, {
      hint: "point it at a PEM file of the CA endpoint's TLS root, or leave it empty to use the system roots (run `just up` to make the local one)",
      cause,
    });
  }
  // One secure context for every connection: with `ca` on the agent, Node parses the whole trust
  // store again for each TLS connection, which made a 50-name order CPU-bound (found by the bench).
  return createSecureContext({ ca: [...rootCertificates, pem] });
}
