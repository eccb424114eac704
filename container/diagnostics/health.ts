// `health`: what a run needs, checked one by one with a pass/fail line each, changing nothing:
// S3 reachable, the CA's directory reachable, the account registered (in S3 and at the CA), and
// the responder answering through the public path (DNS -> ALB -> Lambda) for the names we serve.
import { createPrivateKey } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { ErrorCodes, IssuerError, jwkThumbprint, layout, accountRegistrationShape, normalizeDomains, parsePublicJwk, parseStored, type Env, type IssuerConfig, type ObjectStore } from '../../lib/core/index.js';
import { missingAccountKey } from '../acme/account.js';
import { declaredProfileProblems } from './profile-check.js';
import { checkRenewalIndex, checkStoredRecords, readableRecords, recordKeys } from './stored-state.js';
import { causeTitle } from '../../lib/core/diagnosis.js';
import { AcmeClient } from '../acme/client.js';
import { caAgent } from '../acme/tls.js';
import { USER_AGENT } from '../acme/transport.js';
import { fetchDirectory, type DirectoryInfo } from '../acme/directory.js';
import { caaPin, type CaaRequester } from '../../lib/core/caa.js';
import { metric } from '../observability/metrics.js';
import type { Progress } from '../progress.js';
import { checkNames, preflightOptionsFromEnv } from '../preflight.js';
import { keyPairsVerdict, liveCopiesVerdict, lookAtLive, type CheckVerdict } from './live-checks.js';

export const HEALTH_CHECKS = ['storage', 'renewal-index', 'records', 'key-pairs', 'live-copies', 'ca-directory', 'account', 'responder'] as const;
export type HealthCheck = (typeof HEALTH_CHECKS)[number];

export interface HealthResult {
  readonly check: HealthCheck;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly detail: string;
  readonly fix?: string | undefined;
  readonly durationMs: number;
}

export interface HealthDeps {
  readonly store: ObjectStore;
  readonly config: IssuerConfig;
  readonly progress: Pick<Progress, 'log' | 'metric'>;
  readonly env: Env;
  readonly now: () => Date;
}

/** Runs every check, prints a line per check, and throws ERR_HEALTH_FAILED when any failed. */
export async function runHealth(deps: HealthDeps, options: { readonly domains: readonly string[] }): Promise<HealthResult[]> {
  const results: HealthResult[] = [];
  const report = (result: HealthResult) => {
    results.push(result);
    const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[result.status];
    deps.progress.log(result.status === 'fail' ? 'ERROR' : 'INFO', 'check', `  ${mark} ${result.check.padEnd(12)} ${result.detail}${result.fix ? `\n       what to do: ${result.fix}` : ''}`, {
      check: result.check,
      ok: result.status !== 'fail',
      status: result.status,
      detail: result.detail,
      ...(result.fix ? { fix: result.fix } : {}),
      durationMs: result.durationMs,
    });
    if (result.status === 'fail') deps.progress.metric(metric.healthCheckFailed(result.check));
  };

  const stored = await timed(
    'storage',
    report,
    async () => {
      const keys = recordKeys(await deps.store.list(layout.renewalPrefix));
      const bodies = await Promise.all(keys.map(async (key) => [key, (await deps.store.get(key))?.body] as const));
      const found = new Map(bodies.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
      return { value: found, detail: `s3://${deps.config.bucket} reachable (${found.size} certificate${found.size === 1 ? '' : 's'})` };
    },
    'check CERT_BUCKET, AWS_REGION and the task role (s3:ListBucket, s3:GetObject); with AWS_ENDPOINT_URL set, that the endpoint is up',
  );

  if (stored === undefined) {
    report({ check: 'renewal-index', status: 'skip', detail: 'not checked: S3 cannot be read', durationMs: 0 });
    report({ check: 'records', status: 'skip', detail: 'not checked: S3 cannot be read', durationMs: 0 });
  } else {
    await timed('renewal-index', report, () => checkRenewalIndex(deps.store, [...stored.keys()]), 'run `renew` or `list`: the index is rebuilt from renewal/*.json');
    await timed('records', report, () => checkStoredRecords(deps.store, stored), "restore each named object from the bucket's version history");
  }
  const records = stored === undefined ? [] : readableRecords(stored);

  for (const record of records) {
    if (record.notAfter !== undefined) {
      const alarm = { notBefore: record.notBefore === undefined ? undefined : new Date(record.notBefore), configuredDays: deps.config.events.expiringDays };
      deps.progress.metric(metric.daysToExpiry(record.name, new Date(record.notAfter), deps.now(), alarm));
    }
  }

  if (records.length === 0) {
    const detail = stored === undefined ? 'not checked: S3 cannot be read' : 'not checked: no certificates yet';
    report({ check: 'key-pairs', status: 'skip', detail, durationMs: 0 });
    report({ check: 'live-copies', status: 'skip', detail, durationMs: 0 });
  } else {
    const looks = await lookAtLive(
      deps.store,
      records.map((r) => r.name),
    );
    await timed('key-pairs', report, () => Promise.resolve(verdictValue(keyPairsVerdict(looks))), '');
    await timed('live-copies', report, () => Promise.resolve(verdictValue(liveCopiesVerdict(looks))), '');
  }

  // A profile the CA does not offer fails ca-directory too, but the CA still answered (the account check asks it)
  let directoryAnswered = false;
  await timed(
    'ca-directory',
    report,
    async () => {
      const { status, body } = await getOnce(deps.config.directoryUrl, 10_000);
      let directory: Record<string, unknown> = {};
      try {
        directory = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // not JSON: reported below
      }
      if (status !== 200 || typeof directory.newOrder !== 'string' || typeof directory.newAccount !== 'string') {
        throw new Error(`${deps.config.directoryUrl} answered HTTP ${status} but not with an ACME directory (no newOrder/newAccount)`);
      }
      directoryAnswered = true;
      const profiles = await declaredProfileProblems(deps.config);
      if (profiles.length > 0) throw new HealthFailure(profiles.map((p) => p.message).join('; '), profiles.map((p) => p.hint).join('; '));
      return { value: true, detail: `${deps.config.directoryUrl} answered with an ACME directory` };
    },
    'check ACME_DIRECTORY and the network path to the CA (NAT gateway or public IP for the task; for a private CA, ACME_TLS_CA_FILE)',
  );

  // Set by the account check: the responder check then reads CAA as the CA will.
  let caa: CaaRequester | undefined;
  const thumbprint = await timed(
    'account',
    report,
    async () => {
      const [keyObject, jwkObject, registrationObject] = await Promise.all([deps.store.get(layout.accountKey), deps.store.get(layout.accountJwk), deps.store.get(layout.accountRegistration)]);
      // A lost key beside a published account is refused by `register`, not re-made: say the same here.
      if (keyObject === undefined && (jwkObject !== undefined || registrationObject !== undefined)) {
        throw missingAccountKey([jwkObject && layout.accountJwk, registrationObject && layout.accountRegistration].filter((k) => k !== undefined));
      }
      if (keyObject === undefined || jwkObject === undefined || registrationObject === undefined) {
        throw new HealthFailure('no account in S3 (account/key.pem, jwk.json or registration.json missing)', 'run `register`');
      }
      const registration = parseStored<RegistrationFile>(layout.accountRegistration, registrationObject.body, accountRegistrationShape);
      const thumbprint = await jwkThumbprint(parsePublicJwk(jwkObject.body));
      if (registration.thumbprint !== thumbprint) {
        throw new HealthFailure('account/jwk.json does not match account/registration.json (the key changed since registration)', 'run `register` to publish the current key');
      }
      const registeredAt = Object.keys(registration.accounts);
      if (!registeredAt.includes(deps.config.directoryUrl)) {
        throw new HealthFailure(
          `the account is registered at ${registeredAt.join(', ') || 'no CA'}, not at ACME_DIRECTORY=${deps.config.directoryUrl}`,
          'run `register` to register the same key at this CA (see "Moving to another CA" in docs/operations.md)',
        );
      }
      if (!directoryAnswered) {
        throw new HealthFailure('registered in S3, but not confirmed at the CA: its directory cannot be reached', 'fix the ca-directory check first');
      }
      let client: AcmeClient;
      let account: { status?: string };
      let directory: DirectoryInfo;
      try {
        directory = await fetchDirectory(deps.config.directoryUrl);
        client = new AcmeClient({ directory, accountKey: createPrivateKey(keyObject.body) });
        const found = await client.findAccount();
        if (found === undefined) throw new Error('no account exists for this key');
        account = found.body;
      } catch (error) {
        throw new HealthFailure(`the CA does not know the account (${error instanceof Error ? error.message : String(error)})`, 'run `register`');
      }
      if (account.status !== undefined && account.status !== 'valid') {
        throw new HealthFailure(`the CA reports the account as ${account.status}`, 'a deactivated account cannot be used again: move account/ aside in S3 and run `register`');
      }
      caa = { identities: directory.caaIdentities, accountUrl: client.accountUrl };
      const pin = caaPin(deps.config.directoryUrl, client.accountUrl, directory.caaIdentities);
      // The pin is shown where the account is: what a domain owner publishes to allow only us.
      const pinText = `; CAA pin: ${pin.records.join(' or ')}${pin.note === undefined ? '' : ` (${pin.note})`}`;
      return { value: thumbprint, detail: `registered at the CA as ${client.accountUrl} (thumbprint ${thumbprint})${pinText}` };
    },
    'run `register`',
  );

  const domains = options.domains.length > 0 ? options.domains : [...new Set(records.flatMap((r) => r.domains))];
  // The responder answers with the thumbprint of the published JWK, whatever the CA thinks of the account.
  const published = thumbprint ?? (await publishedThumbprint(deps.store));
  // CAA only for our names: the ALB's own name is Amazon's to pin, and no certificate is ordered for it.
  const preflightOptions = { ...preflightOptionsFromEnv(deps.env, published ?? ''), caa: domains.length > 0 ? caa : undefined };
  const targets = domains.length > 0 ? domains : preflightOptions.albDnsName !== undefined ? [preflightOptions.albDnsName] : [];
  if (published === undefined) {
    report({ check: 'responder', status: 'skip', detail: 'not checked: no account/jwk.json, so the responder has no thumbprint to answer with', durationMs: 0 });
  } else if (targets.length === 0) {
    report({ check: 'responder', status: 'skip', detail: 'not checked: no certificates yet and no --domain or ALB_DNS_NAME given', durationMs: 0 });
  } else {
    await timed(
      'responder',
      report,
      async () => {
        const checked = await checkNames(targets, preflightOptions);
        const failed = checked.names.filter((n) => !n.ok);
        if (failed.length > 0) {
          throw new HealthFailure(
            failed.map((n) => `${n.domain}: ${causeTitle(n.diagnosis!.cause)}: ${n.diagnosis!.summary}`).join('; '),
            failed
              .map((n) => n.diagnosis!.fix)
              .filter((fix, i, all) => all.indexOf(fix) === i)
              .join('; '),
          );
        }
        return { value: true, detail: `our responder answered a probe for ${targets.join(', ')} on port ${preflightOptions.port}` };
      },
      '',
    );
  }

  const failed = results.filter((r) => r.status === 'fail');
  if (failed.length > 0) {
    throw new IssuerError(ErrorCodes.HEALTH_FAILED, `${failed.length} of ${results.length} health checks failed: ${failed.map((r) => r.check).join(', ')}`, {
      hint: 'fix each failed check (its line says what to do), then run `health` again',
    });
  }
  return results;
}

async function publishedThumbprint(store: ObjectStore): Promise<string | undefined> {
  try {
    const object = await store.get(layout.accountJwk);
    return object === undefined ? undefined : await jwkThumbprint(parsePublicJwk(object.body));
  } catch {
    return undefined;
  }
}

/** account/registration.json as far as health needs it: one account per CA by directory URL. */
interface RegistrationFile {
  readonly thumbprint: string;
  readonly accounts: Readonly<Record<string, { readonly accountUrl: string }>>;
}

/**
 * One GET with no retries (a check reports what it sees once; the CA transport retries 5xx),
 * through the CA's agent, which trusts ACME_TLS_CA_FILE when set.
 */
function getOnce(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // With the client's User-Agent: RFC 8555 §6.1 requires one, and a current pebble answers 400 without it.
    const request = httpsGet(url, { agent: caAgent(), timeout: timeoutMs, headers: { 'user-agent': USER_AGENT } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => reject(new Error(`${url}: ${error.code ?? ''} ${error.message}`.trim())));
  });
}

function verdictValue(verdict: CheckVerdict): { value: true; detail: string } {
  if (!verdict.ok) throw new HealthFailure(verdict.detail, verdict.fix);
  return { value: true, detail: verdict.detail };
}

class HealthFailure extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

async function timed<T>(check: HealthCheck, report: (result: HealthResult) => void, run: () => Promise<{ value: T; detail: string }>, fix: string): Promise<T | undefined> {
  const begun = performance.now();
  try {
    const { value, detail } = await run();
    report({ check, status: 'pass', detail, durationMs: Math.round(performance.now() - begun) });
    return value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Damaged storage says itself how to repair it (restore a version, or what rebuilds it).
    const ownFix = error instanceof HealthFailure ? error.fix : error instanceof IssuerError && error.code === ErrorCodes.STORAGE_CORRUPT ? error.hint : undefined;
    report({ check, status: 'fail', detail: message, fix: ownFix ?? fix, durationMs: Math.round(performance.now() - begun) });
    return undefined;
  }
}

/** `health [--domain D...]`: every check, a line each, then `healthy` or ERR_HEALTH_FAILED (exit 10). */
export async function healthCommand(
  ctx: { readonly config: IssuerConfig; readonly store: ObjectStore; readonly progress: Pick<Progress, 'log' | 'metric' | 'result'>; readonly now: () => Date },
  domains: readonly string[],
  env: Env = process.env,
): Promise<void> {
  const results = await runHealth({ store: ctx.store, config: ctx.config, progress: ctx.progress, env, now: ctx.now }, { domains: domains.length > 0 ? normalizeDomains(domains) : [] });
  ctx.progress.result('healthy', { checks: results.map((r) => `${r.check}: ${r.status}`) });
}
