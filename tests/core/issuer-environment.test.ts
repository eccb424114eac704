import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIssuerConfig, type Env } from '../../lib/core/config.js';
import { parseDeployConfig, type DeployConfig } from '../../lib/core/deploy-config.js';
import { isIssuerError } from '../../lib/core/errors.js';
import { ISSUER_SECRET_VARIABLES, issuerTaskEnvironment, type IssuerTaskResources } from '../../lib/core/issuer-environment.js';

// The stack hands the task an environment built from the deploy configuration; the task parses it
// at every run. A value synth accepts and the task refuses is a deploy that succeeds and then
// fails twice a day (DEPLOY_ACME_CONTACT_EMAIL=mailto:… did exactly that). These tests hold the
// two parsers together: whatever synth accepts, the task accepts.

/** What the stack's tokens resolve to on AWS, for a configuration. */
function resources(config: DeployConfig): IssuerTaskResources {
  return {
    region: 'eu-west-1',
    bucketName: config.bucketName ?? 'acmeissuer-storebucket-1a2b3c4d5e6f',
    storeKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    exportKeyArn: config.exports.used.length > 0 ? 'arn:aws:kms:eu-west-1:123456789012:key/1b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0' : undefined,
    httpsListenerArn: config.httpsCertificateArn === undefined ? undefined : 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/acme/0123456789abcdef/0123456789abcdef',
    albDnsName: 'acme-1234567890.eu-west-1.elb.amazonaws.com',
  };
}

/** The task's environment as ECS starts it: the template's variables plus the injected secret. */
function taskEnvironment(config: DeployConfig): Env {
  const injected: Record<(typeof ISSUER_SECRET_VARIABLES)[number], boolean> = { ACME_EAB_HMAC_KEY: config.eabKid !== undefined, ACME_EAB_HMAC_KEY_ZEROSSL: config.zerosslEab !== undefined };
  const secrets = Object.fromEntries(ISSUER_SECRET_VARIABLES.filter((name) => injected[name]).map((name) => [name, 'c2VjcmV0LWhtYWMta2V5']));
  return { ...issuerTaskEnvironment(config, resources(config)), ...secrets };
}

function deployRefuses(env: Env): boolean {
  try {
    parseDeployConfig(env);
    return false;
  } catch (error) {
    if (isIssuerError(error, 'ERR_CONFIG_INVALID')) return true;
    throw error;
  }
}

/**
 * Candidates for each DEPLOY_* variable the task receives: valid values, values only a looser or a
 * stricter rule would take, and plain garbage. Empty means unset.
 */
const CANDIDATES: Record<string, readonly string[]> = {
  DEPLOY_ACME_DIRECTORY: [
    '',
    'letsencrypt',
    'zerossl',
    'letsencrypt-prod',
    'https://ca.example.com/acme/directory',
    'https://ca.example.com:9443/dir',
    'http://ca.example.com/dir',
    'ftp://ca.example.com/',
    'https://localhost/dir',
    'ca.example.com/dir',
    'https://',
    'https://user@ca.example.com/dir',
    // failover lists (lib/core/rules.ts parseCaList)
    'letsencrypt|zerossl',
    'https://ca.example.com/dir|letsencrypt',
    'letsencrypt|https://localhost/dir',
    'letsencrypt|letsencrypt-prod',
    'letsencrypt|',
  ],
  DEPLOY_ACME_CONTACT_EMAIL: [
    '',
    'ops@example.com',
    'mailto:ops@example.com',
    'ops@example',
    '<ops@example.com>',
    'o ps@example.com',
    'ops@exa;mple.com',
    '"ops"@example.com',
    'ops@example.com,dev@example.com',
    'élodie@exemple.fr',
  ],
  DEPLOY_ACME_ACCOUNT_KEY_TYPE: ['', 'ec-p256', 'rsa-2048', 'ec-p384', 'RSA-2048'],
  DEPLOY_CERT_KEY_TYPE: ['', 'ec-p256', 'rsa-2048', 'ed25519'],
  DEPLOY_ACME_EAB_KID: ['', 'kid-1', 'a kid'],
  DEPLOY_ACME_EAB_HMAC_SECRET_ARN: ['', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/eab-AbCdEf'],
  DEPLOY_ACME_EAB_KID_ZEROSSL: ['', 'zs-kid'],
  DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL: ['', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/zerossl-eab-AbCdEf'],
  DEPLOY_ACM_IMPORT: ['', 'true', 'false', 'no', 'maybe'],
  DEPLOY_CERTIFICATES: [
    '',
    'shop=shop.example.com,www.shop.example.com',
    'api=api.example.com;key=ec-p256;profile=tlsserver',
    'a=a.example.com;ca=https://ca.example.com:8443/dir',
    'b=b.example.com;export=secrets',
    'c=c.example.com;regions=us-east-1',
    'bad name=x.example.com',
    'd=d.example.com;profile=tls server',
  ],
  DEPLOY_ACM_EXTRA_REGIONS: ['', 'us-east-1', 'us-east-1,eu-central-1', 'us-east-1,', 'US-EAST-1', 'moon-1'],
  DEPLOY_RENEW_BEFORE_DAYS: ['', '1', '30', '365', '366', '0', '007', '1.5', '-3', '30d'],
  DEPLOY_ACME_PROFILE: ['', 'classic', 'tlsserver', 'shortlived', 'tls server', 'x'.repeat(65), 'ünicode'],
  DEPLOY_EXPORTS: ['', 'secrets', 'ssm', 'secrets,ssm', 'none', 'secret', 'secrets,,ssm'],
  DEPLOY_EXPORT_SECRET_PREFIX: ['', 'acme/', 'certs/prod/', 'a b/', '*'],
  DEPLOY_EXPORT_SSM_PREFIX: ['', '/acme/', '/certs/prod/', 'acme/', '/acme', '/a b/'],
  DEPLOY_HTTPS_CERTIFICATE_ARN: ['', 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0'],
  DEPLOY_BUCKET_NAME: ['', 'my-certificates', 'My_Certificates', 'ab'],
  DEPLOY_EVENT_BUS: ['', 'default', 'none', 'certificates', 'arn:aws:events:eu-west-1:210987654321:event-bus/central', 'my bus', 'arn:aws:sns:eu-west-1:1:x'],
  DEPLOY_ALARM_EXPIRY_DAYS: ['', '1', '14', '90', '91', '0', 'x'],
};

// Mostly unset, so that a good share of the combinations passes synth and reaches the task's parser.
const deployEnv = fc.record(Object.fromEntries(Object.entries(CANDIDATES).map(([name, values]) => [name, fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, { arbitrary: fc.constantFrom(...values), weight: 1 })])));

describe('issuerTaskEnvironment and parseIssuerConfig', () => {
  it('every deploy configuration synth accepts gives an environment the task accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(deployEnv, (env) => {
        if (deployRefuses(env)) return;
        accepted += 1;
        const config = parseDeployConfig(env);
        expect(() => parseIssuerConfig(taskEnvironment(config))).not.toThrow();
      }),
      { numRuns: Number(process.env['FUZZ_RUNS_CONFIG'] ?? 3000) },
    );
    // The property says nothing if synth refused (almost) everything.
    expect(accepted).toBeGreaterThan(100);
  });

  it('each candidate value alone: refused by the task means refused by synth', () => {
    for (const [name, values] of Object.entries(CANDIDATES)) {
      for (const value of values) {
        const env: Env = name === 'DEPLOY_ACME_EAB_KID' && value !== '' ? { [name]: value, DEPLOY_ACME_EAB_HMAC_SECRET_ARN: CANDIDATES['DEPLOY_ACME_EAB_HMAC_SECRET_ARN']![1] } : { [name]: value };
        if (deployRefuses(env)) continue;
        const config = parseDeployConfig(env);
        expect(() => parseIssuerConfig(taskEnvironment(config)), `${name}="${value}"`).not.toThrow();
      }
    }
  });

  it('refuses a pasted mailto: at synth, naming the variable (it passed synth, then every run exited 2)', () => {
    expect(() => parseDeployConfig({ DEPLOY_ACME_CONTACT_EMAIL: 'mailto:x@y.example' })).toThrow(/DEPLOY_ACME_CONTACT_EMAIL="mailto:x@y\.example" is not valid/);
  });

  it('carries every deploy setting the task reads, under the name the task reads it', () => {
    const config = parseDeployConfig({
      DEPLOY_ACME_DIRECTORY: 'letsencrypt|zerossl',
      DEPLOY_ACME_CONTACT_EMAIL: 'ops@example.com',
      DEPLOY_ACME_EAB_KID: 'kid-1',
      DEPLOY_ACME_EAB_HMAC_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/eab-AbCdEf',
      DEPLOY_ACME_EAB_KID_ZEROSSL: 'zs-kid',
      DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/zerossl-eab-AbCdEf',
      DEPLOY_CERT_KEY_TYPE: 'ec-p256',
      DEPLOY_CERTIFICATES: 'shop=shop.example.com;export=ssm',
      DEPLOY_ACM_EXTRA_REGIONS: 'us-east-1',
      DEPLOY_RENEW_BEFORE_DAYS: '20',
      DEPLOY_ACME_PROFILE: 'tlsserver',
      DEPLOY_EXPORTS: 'secrets',
      DEPLOY_HTTPS_CERTIFICATE_ARN: 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    });
    const issuer = parseIssuerConfig(taskEnvironment(config));
    expect(issuer).toMatchObject({
      aws: { region: 'eu-west-1', endpointUrl: undefined },
      bucket: resources(config).bucketName,
      kmsKeyId: resources(config).storeKeyArn,
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      directoryUrls: ['https://acme-v02.api.letsencrypt.org/directory', 'https://acme.zerossl.com/v2/DV90'],
      caEab: { 'https://acme.zerossl.com/v2/DV90': { kid: 'zs-kid' } },
      contactEmail: 'ops@example.com',
      accountKeyType: 'ec-p256',
      certKeyType: 'ec-p256',
      eab: { kid: 'kid-1' },
      pollMinMs: 2000,
      acmImport: true,
      acmExtraRegions: ['us-east-1'],
      renewBeforeDays: 20,
      profile: 'tlsserver',
      certificates: config.certificateSpecs,
      exports: {
        defaults: ['secrets'],
        secretPrefix: 'acme/',
        ssmPrefix: '/acme/',
        kmsKeyId: resources(config).exportKeyArn,
        httpsListenerArn: resources(config).httpsListenerArn,
      },
      events: { bus: 'default', expiringDays: 14 },
    });
  });

  it('never puts the EAB HMAC key into the template, and refuses to build exports without their key', () => {
    const config = parseDeployConfig({ DEPLOY_ACME_EAB_KID: 'kid', DEPLOY_ACME_EAB_HMAC_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:eab' });
    expect(Object.keys(issuerTaskEnvironment(config, resources(config)))).not.toContain('ACME_EAB_HMAC_KEY');
    const exporting = parseDeployConfig({ DEPLOY_EXPORTS: 'ssm' });
    expect(() => issuerTaskEnvironment(exporting, { ...resources(exporting), exportKeyArn: undefined })).toThrow(/exportKeyArn/);
  });
});
