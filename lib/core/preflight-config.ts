import { ConfigReader, type Env } from './config-reader.js';

/**
 * Where the pre-flight looks, from the environment. In production the CA fetches port 80 and
 * resolves names with public DNS, so the defaults are exactly that; locally pebble validates on
 * PEBBLE_HTTP_PORT and resolves with challtestsrv, and .env points the pre-flight at the same.
 */
export interface PreflightConfig {
  /** Port of the challenge URL. @default 80 */
  readonly httpPort: number;
  /** DNS servers ("ip" or "ip:port"); empty means the system resolver. @default [] */
  readonly dnsServers: readonly string[];
  /** The ALB's addresses, listed outright. @default [] */
  readonly expectedAddresses: readonly string[];
  /** The ALB's DNS name: its current addresses are added to the expected ones. @default undefined */
  readonly albDnsName: string | undefined;
  /** Per request and per DNS query. @default 5000 */
  readonly timeoutMs: number;
}

const IP_OR_IP_PORT = /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/;
const ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;

function list(reader: ConfigReader, name: string, pattern: RegExp, expected: string): string[] {
  const raw = reader.optionalString(name);
  if (raw === undefined) return [];
  const items = raw.split(/[\s,]+/).filter((item) => item !== '');
  const bad = items.filter((item) => !pattern.test(item));
  if (bad.length > 0) reader.report(`${reader.quote(name, raw)} is not valid; expected ${expected} (bad: ${bad.join(', ')})`);
  return items.filter((item) => pattern.test(item));
}

export function parsePreflightConfig(env: Env): PreflightConfig {
  const reader = new ConfigReader(env);
  return reader.done({
    httpPort: reader.integer('PREFLIGHT_HTTP_PORT', { default: 80, min: 1, max: 65535 }),
    dnsServers: list(reader, 'PREFLIGHT_DNS_SERVER', IP_OR_IP_PORT, 'comma-separated DNS server addresses such as 1.1.1.1 or 127.0.0.1:8053'),
    expectedAddresses: list(reader, 'PREFLIGHT_EXPECTED_ADDRESSES', ADDRESS, 'comma-separated IPv4/IPv6 addresses of the ALB'),
    albDnsName: reader.optionalString('ALB_DNS_NAME', { pattern: HOSTNAME, expected: "the ALB's DNS name such as acme-123.eu-west-1.elb.amazonaws.com" }),
    timeoutMs: reader.integer('PREFLIGHT_TIMEOUT_MS', { default: 5000, min: 50, max: 60000 }),
  });
}
