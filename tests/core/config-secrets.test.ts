import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECRET_VARIABLES } from '../../lib/core/config-reader.js';
import { parseDeployConfig, parseIssuerConfig, parseResponderConfig, type Env } from '../../lib/core/index.js';
import { ISSUER_SECRET_VARIABLES } from '../../lib/core/issuer-environment.js';
import { parsePreflightConfig } from '../../lib/core/preflight-config.js';

// A configuration error is printed to stderr, CloudWatch Logs and CI logs: no rule, today's or a
// later one, may quote the EAB HMAC key. The value is a valid base64url key (so its own rule passes)
// and is also put into every other variable the project documents, where each rule sees it.
const SECRET = 'c2VjcmV0LWhtYWMta2V5LTdmM2E5';
const PARSERS: Record<string, (env: Env) => unknown> = { issuer: parseIssuerConfig, deploy: parseDeployConfig, responder: parseResponderConfig, preflight: parsePreflightConfig };

function messageOf(parse: (env: Env) => unknown, env: Env): string {
  try {
    parse(env);
    return '';
  } catch (error) {
    return error instanceof Error ? `${error.message}\n${(error as { hint?: string }).hint ?? ''}` : String(error);
  }
}

const documented = [...new Set([...readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').matchAll(/^(?:# ?)?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!))];

describe('configuration errors never quote a secret', () => {
  it('reads the documented variables (the table below is not empty)', () => {
    expect(documented).toEqual(expect.arrayContaining(['ACME_DIRECTORY', 'DEPLOY_ACME_DIRECTORY', 'CERTIFICATES', 'EXPORTS', 'PREFLIGHT_DNS_SERVER']));
  });

  it('the secrets ECS injects are among the variables no message quotes', () => {
    for (const name of ISSUER_SECRET_VARIABLES) expect(Object.keys(SECRET_VARIABLES)).toContain(name);
  });

  it('names a malformed ACME_EAB_HMAC_KEY without its value', () => {
    const malformed = `${SECRET} !`;
    const message = messageOf(parseIssuerConfig, { CERT_BUCKET: 'my-certs', ACME_EAB_KID: 'kid-1', ACME_EAB_HMAC_KEY: malformed });
    expect(message).toContain('ACME_EAB_HMAC_KEY (value not shown: secret) is not valid; expected the base64url HMAC key');
    expect(message).not.toContain(SECRET);
  });

  it('names a key pasted into DEPLOY_ACME_EAB_HMAC_SECRET_ARN without its value', () => {
    const message = messageOf(parseDeployConfig, { DEPLOY_ACME_EAB_KID: 'kid-1', DEPLOY_ACME_EAB_HMAC_SECRET_ARN: SECRET });
    expect(message).toContain('DEPLOY_ACME_EAB_HMAC_SECRET_ARN (value not shown: secret) is not valid');
    expect(message).not.toContain(SECRET);
  });

  it.each(documented)('the key pasted into %s is not echoed by any parser', (name) => {
    const env: Env = { CERT_BUCKET: 'my-certs', ACME_EAB_KID: 'kid-1', ACME_EAB_HMAC_KEY: SECRET, [name]: `${SECRET}, ${SECRET}:x` };
    for (const [parser, parse] of Object.entries(PARSERS)) {
      const message = messageOf(parse, env);
      expect(message, `${parser} parser, ${name}`).not.toContain(SECRET);
    }
  });

  it('says where the secret would have been, so the message still points at the mistake', () => {
    const message = messageOf(parseIssuerConfig, { CERT_BUCKET: 'my-certs', ACME_EAB_KID: 'kid-1', ACME_EAB_HMAC_KEY: SECRET, ACME_CONTACT_EMAIL: SECRET });
    expect(message).toContain('ACME_CONTACT_EMAIL="<ACME_EAB_HMAC_KEY>" is not valid');
  });
});
