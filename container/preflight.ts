// The pre-flight self-check: before an order is placed, ask each name for a random probe token
// the way the CA will (resolve A and AAAA, GET the challenge URL on every address) and check the
// answer is our key authorization for it. Only our responder knows the thumbprint, so a right
// answer proves the request reached it; anything else is named as a cause with its fix, and no
// failed validation is spent at the CA. With the account's CA given, CAA is looked up too (RFC
// 8659's walk up the tree, RFC 8657's accounturi and validationmethods), as the CA will.
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { CHALLENGE_PATH_PREFIX, ErrorCodes, IssuerError, type Env } from '../lib/core/index.js';
import type { CaaRequester, CaaVerdict } from '../lib/core/caa.js';
import { causeTitle, diagnoseObservation, type AddressProbe, type Diagnosis } from '../lib/core/diagnosis.js';
import { parsePreflightConfig } from '../lib/core/preflight-config.js';
import { metric } from './observability/metrics.js';
import { caaLookup, caaWords, checkCaa } from './preflight-caa.js';
import type { Progress } from './progress.js';

export interface PreflightOptions {
  /** RFC 7638 thumbprint of the account key: the responder's answer is `probe.thumbprint`. */
  readonly thumbprint: string;
  /** Port of the challenge URL. @default 80 */
  readonly port?: number;
  /** DNS servers ("ip" or "ip:port"). @default the system's (from /etc/resolv.conf) */
  readonly dnsServers?: readonly string[];
  /** The ALB's addresses. @default [] */
  readonly expectedAddresses?: readonly string[];
  /** The ALB's DNS name; its addresses join the expected ones. @default undefined */
  readonly albDnsName?: string | undefined;
  /** Per DNS query and per HTTP request. @default 5000 */
  readonly timeoutMs?: number;
  /** The CA's CAA identities and our account URL: CAA is checked when given. @default undefined (not checked) */
  readonly caa?: CaaRequester | undefined;
}

export interface NameReport {
  readonly domain: string;
  readonly ok: boolean;
  readonly addresses: readonly string[];
  readonly probes: readonly AddressProbe[];
  /** Why it failed; undefined when ok. */
  readonly diagnosis: Diagnosis | undefined;
  /** What CAA said; undefined when CAA was not checked (no CA given, or the name failed before). */
  readonly caa: CaaVerdict | undefined;
  readonly durationMs: number;
}

export interface PreflightReport {
  readonly ok: boolean;
  readonly names: readonly NameReport[];
  /** The ALB addresses compared against (empty: addresses were not compared). */
  readonly expectedAddresses: readonly string[];
  readonly warnings: readonly string[];
}

export class PreflightError extends IssuerError {
  constructor(readonly report: PreflightReport) {
    const failed = report.names.filter((n) => !n.ok);
    super(
      ErrorCodes.PREFLIGHT_FAILED,
      `pre-flight check failed for ${failed.map((n) => n.domain).join(', ')}; no order was placed:\n${failed
        .map((n) => `  - ${n.domain}: ${causeTitle(n.diagnosis!.cause)}: ${n.diagnosis!.summary}\n      what to do: ${n.diagnosis!.fix}`)
        .join('\n')}`,
      {
        hint: 'fix the cause named for each name and run again (nothing was sent to the CA, so no failed validation counts against its limits); --skip-preflight skips this check when the CA reaches the names by a path this host cannot see',
      },
    );
  }
}

/** Options from PREFLIGHT_HTTP_PORT, PREFLIGHT_DNS_SERVER, PREFLIGHT_EXPECTED_ADDRESSES, ALB_DNS_NAME, PREFLIGHT_TIMEOUT_MS. */
export function preflightOptionsFromEnv(env: Env, thumbprint: string): PreflightOptions {
  const config = parsePreflightConfig(env);
  return {
    thumbprint,
    port: config.httpPort,
    dnsServers: config.dnsServers,
    expectedAddresses: config.expectedAddresses,
    albDnsName: config.albDnsName,
    timeoutMs: config.timeoutMs,
  };
}

/** Checks every name; never throws for a failed name (see `preflight` for the throwing form). */
export async function checkNames(domains: readonly string[], options: PreflightOptions): Promise<PreflightReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const port = options.port ?? 80;
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (options.dnsServers !== undefined && options.dnsServers.length > 0) resolver.setServers([...options.dnsServers]);
  const warnings: string[] = [];
  const expected = new Set(options.expectedAddresses ?? []);
  if (options.albDnsName !== undefined) {
    const alb = await resolveAll(resolver, options.albDnsName);
    if (alb.addresses.length === 0) warnings.push(`ALB_DNS_NAME ${options.albDnsName} did not resolve (${alb.error ?? 'no records'}); addresses were not compared with it`);
    for (const address of alb.addresses) expected.add(address);
  }
  const caaAt = caaLookup(resolver);
  const names = await Promise.all(
    domains.map(async (domain): Promise<NameReport> => {
      const begun = performance.now();
      const probeToken = randomBytes(32).toString('base64url');
      const expectedAnswer = `${probeToken}.${options.thumbprint}`;
      const caaRead = options.caa === undefined ? undefined : checkCaa(domain, options.caa, caaAt);
      const dns = await resolveAll(resolver, domain);
      const probes = await Promise.all(dns.addresses.map((address) => probe(address, domain, port, probeToken, timeoutMs)));
      const http = diagnoseObservation({
        domain,
        port,
        addresses: dns.addresses,
        dnsError: dns.error,
        expectedAddresses: [...expected],
        probes,
        probeToken,
        expectedAnswer,
      });
      // The path is named first when both fail: it is what the CA tries first, too.
      const caa = caaRead === undefined ? undefined : await caaRead;
      const diagnosis = http ?? caa?.diagnosis;
      return { domain, ok: diagnosis === undefined, addresses: dns.addresses, probes, diagnosis, caa: caa?.verdict, durationMs: Math.round(performance.now() - begun) };
    }),
  );
  return { ok: names.every((n) => n.ok), names, expectedAddresses: [...expected], warnings };
}

/** The pre-flight: the report when every name passes, a PreflightError (ERR_PREFLIGHT_FAILED) naming each cause otherwise. */
export async function preflight(domains: readonly string[], options: PreflightOptions): Promise<PreflightReport> {
  const report = await checkNames(domains, options);
  if (!report.ok) throw new PreflightError(report);
  return report;
}

/**
 * What the CLI runs before ordering: the pre-flight with options from the environment (CAA
 * checked against `caa`, the account's CA and URL), a line per name, a ValidationFailures metric
 * (Stage=preflight) per failed name, then the verdict.
 */
export async function runPreflight(
  domains: readonly string[],
  thumbprint: string,
  deps: { readonly progress: Pick<Progress, 'log' | 'metric'>; readonly env?: Env; readonly caa?: CaaRequester | undefined },
): Promise<PreflightReport> {
  const report = await checkNames(domains, { ...preflightOptionsFromEnv(deps.env ?? process.env, thumbprint), caa: deps.caa });
  for (const warning of report.warnings) deps.progress.log('WARN', 'preflight-warning', `  ! pre-flight: ${warning}`, { message: warning });
  for (const name of report.names) {
    const tried = name.probes.map((p) => p.address);
    if (name.ok) {
      deps.progress.log('INFO', 'preflight', `  ✓ pre-flight ${name.domain}: our responder answered at ${tried.join(', ')}${caaWords(name.caa)} (${name.durationMs} ms)`, {
        domain: name.domain,
        ok: true,
        addresses: name.addresses,
        ...(name.caa?.allowed === true ? { caa: { at: name.caa.at ?? null, by: name.caa.by ?? null } } : {}),
        durationMs: name.durationMs,
      });
    } else {
      const d = name.diagnosis!;
      deps.progress.log('ERROR', 'preflight', `  ✗ pre-flight ${name.domain}: ${causeTitle(d.cause)}: ${d.summary}`, {
        domain: name.domain,
        ok: false,
        cause: d.cause,
        summary: d.summary,
        fix: d.fix,
        addresses: name.addresses,
        durationMs: name.durationMs,
      });
      deps.progress.metric(metric.validationFailure('preflight', d.cause, name.domain));
    }
  }
  if (!report.ok) throw new PreflightError(report);
  return report;
}

async function resolveAll(resolver: Resolver, name: string): Promise<{ addresses: string[]; error: string | undefined }> {
  if (isIP(name) !== 0) return { addresses: [name], error: undefined };
  const settled = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  const addresses = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [String((s.reason as { code?: unknown }).code ?? s.reason)] : []));
  // "No such record" for one family is normal; any other failure is the interesting one.
  const error = errors.find((code) => code !== 'ENODATA' && code !== 'ENOTFOUND') ?? errors[0];
  return { addresses, error: addresses.length > 0 ? undefined : error };
}

/** One GET of the probe URL at one address, with the name in Host, as the CA sends it. No redirects followed. */
function probe(address: string, domain: string, port: number, token: string, timeoutMs: number): Promise<AddressProbe> {
  const begun = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AddressProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const req = request({
      host: address,
      family: isIP(address),
      port,
      method: 'GET',
      path: `${CHALLENGE_PATH_PREFIX}${token}`,
      headers: { host: port === 80 ? domain : `${domain}:${port}`, 'user-agent': 'acme-on-aws-preflight', accept: '*/*' },
      agent: false,
    });
    const timer = setTimeout(() => finish({ address, outcome: 'timeout', durationMs: Math.round(performance.now() - begun) }), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish(error.code === 'ECONNREFUSED' ? { address, outcome: 'refused' } : { address, outcome: 'error', errorCode: error.code ?? error.message });
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () =>
        finish({
          address,
          outcome: 'response',
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          location: header(response.headers.location),
          retryAfter: header(response.headers['retry-after']),
        });
      response.on('data', (chunk: Buffer) => {
        // The key authorization is under 300 bytes; a page of something else needs no more than its start.
        if (size < 4096) chunks.push(chunk);
        size += chunk.length;
        if (size >= 4096) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    req.end();
  });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
