import { parseCertificateSet } from './certificate-set.js';
import { ConfigReader, type Env } from './config-reader.js';
import { parsePreflightConfig } from './preflight-config.js';
import { readDirectoryUrls } from './rules.js';

/**
 * Where the issuer task connects, derived from the environment the stack gives it by the same
 * readers the issuer uses, so its security group opens exactly what the runtime needs: the CA's
 * port (every CA it may order from), HTTPS to the AWS APIs, and the pre-flight's HTTP port (it
 * asks each name for a probe token the way the CA will). A group that allowed 443 only blocked
 * every scheduled renewal at its pre-flight. DNS goes to the VPC's resolver and credentials to
 * the task metadata endpoint, which security groups do not filter.
 */
export const EGRESS_PURPOSES = ['ca', 'aws-api', 'preflight'] as const;
export type EgressPurpose = (typeof EGRESS_PURPOSES)[number];

export interface EgressRule {
  readonly port: number;
  readonly purposes: readonly EgressPurpose[];
}

/** The AWS SDK's endpoints (S3, ACM, KMS, Secrets Manager, SSM, ELBv2), and ECR and CloudWatch Logs for ECS: HTTPS. */
export const AWS_API_PORT = 443;

/** The port of an https:// URL. */
export function httpsPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port === '' ? 443 : Number(parsed.port);
}

/** Every CA directory the issuer may use: ACME_DIRECTORY's and each CERTIFICATES entry's `ca=` (every CA of a failover list). */
export function caDirectories(env: Env): string[] {
  const reader = new ConfigReader(env);
  const directories = readDirectoryUrls(reader, 'ACME_DIRECTORY');
  reader.done(undefined);
  const perCertificate = parseCertificateSet(env['CERTIFICATES']).flatMap((spec) => spec.directoryUrls ?? []);
  return [...new Set([...directories, ...perCertificate])];
}

/** The port each purpose needs in production, for the task environment `env`. */
export function egressPortsByPurpose(env: Env): Record<EgressPurpose, number[]> {
  return {
    ca: [...new Set(caDirectories(env).map(httpsPort))],
    'aws-api': [AWS_API_PORT],
    // Only the pre-flight's own variable: the others may be unresolved deploy-time values.
    preflight: [parsePreflightConfig({ PREFLIGHT_HTTP_PORT: env['PREFLIGHT_HTTP_PORT'] }).httpPort],
  };
}

/** One TCP egress rule per port, naming what needs it; sorted by port. */
export function issuerEgress(env: Env): EgressRule[] {
  const byPort = new Map<number, EgressPurpose[]>();
  for (const [purpose, ports] of Object.entries(egressPortsByPurpose(env)) as [EgressPurpose, number[]][]) {
    for (const port of ports) byPort.set(port, [...(byPort.get(port) ?? []), purpose]);
  }
  return [...byPort].sort(([a], [b]) => a - b).map(([port, purposes]) => ({ port, purposes }));
}
