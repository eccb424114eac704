import { ErrorCodes, EventDetailTypes, IssuerError, domainsKey, parseCertificate, sweepVerdict, type CertificateSpec, type IndexEntry, type KeyType } from '../../lib/core/index.js';
import { certIdOf, fetchDirectory } from '../acme/directory.js';
import { readLiveFiles } from '../certificates/archive.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { indexEntryOf, loadIndex, putIndexEntry, updateIndexEntries } from '../../lib/store/index-store.js';
import { ariDue, checkAri } from '../certificates/ari-check.js';
import { isUndeclared, undeclaredWarning } from '../certificates/declared.js';
import { deployPublished } from '../certificates/deploy.js';
import { withLease } from '../certificates/lease.js';
import { healLiveCopies } from '../certificates/live-copies.js';
import { listenersOf, retireAcm } from '../certificates/retire.js';
import { loadRecord, saveRecord, type LoadedRecord } from '../../lib/store/records.js';
import { IssuerLog } from '../../lib/core/telemetry.js';
import { factsOf } from '../observability/events.js';
import { publishExpiring } from '../observability/expiring-event.js';
import { publishFailure } from '../observability/failure-event.js';
import { metric } from '../observability/metrics.js';
import type { Progress } from '../progress.js';
import type { CommandContext } from './context.js';
import { runIssuance } from './issuance.js';

export interface RenewOptions {
  readonly names: readonly string[];
  readonly force: boolean;
  readonly dryRun: boolean;
  /** Order without first probing each name through the public path. */
  readonly skipPreflight: boolean;
  /** Renew with new private keys instead of the live ones. */
  readonly rotateKey?: boolean | undefined;
}

/** What happened to one certificate in a run. */
export interface RenewReport {
  readonly name: string;
  readonly action: 'issued' | 'renewed' | 'skipped' | 'failed' | 'locked' | 'would-issue';
  readonly reason: string;
  readonly serial?: string | undefined;
  readonly renewAt?: string | undefined;
  /** Expiry of the certificate live after this run's work on it, where the run knows it. */
  readonly notAfter?: string | undefined;
  /** Its notBefore, beside notAfter where this run issued it: the lifetime scales the expiry alarm. */
  readonly notBefore?: string | undefined;
  readonly code?: string;
  /** The CA that issued this run's certificate (the second of its list after a failover). */
  readonly ca?: string | undefined;
  /** Old ACM ARNs a key-type change replaced in this run (each also reported in an info line). */
  readonly replacedAcmArns?: readonly string[] | undefined;
}

interface Desired {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  /** The CAs in failover order, directoryUrl first. */
  readonly directoryUrls: readonly string[];
  readonly profile: string | undefined;
  /**
   * In the index but not in a non-empty CERTIFICATES: kept renewed as last issued (names, key
   * type, CA, and the record's profile) and monitored, with a warning every run, until `delete`.
   */
  readonly undeclared?: true;
}

/** How many certificates are worked on at once: enough to overlap CA round trips, few enough for a small task. */
const CONCURRENCY = 4;

/**
 * Reconciles the certificate set: issues what is missing, reissues what changed, renews what is
 * due, leaves the rest alone, and reports each. A sweep with nothing due reads one object
 * (renewal/_index.json). Each piece of work happens under the certificate's lease and starts by
 * re-reading the authoritative record, so a concurrent run that already did it is noticed.
 */
export async function renewCommand(ctx: CommandContext, options: RenewOptions): Promise<RenewReport[]> {
  const { config, store, progress, now } = ctx;
  const read = await loadIndex(store, (message, fields) => progress.info(message, fields));
  const { index } = read;
  const desired = desiredSet(config.certificates, index.entries, options.names, config);
  for (const item of desired) if (item.undeclared) progress.warn(undeclaredWarning(item.name), { name: item.name });

  const reports: RenewReport[] = [];
  const checkTimes: Record<string, IndexEntry> = {};
  let replanned = false;
  const work: { item: Desired; reason: string; fresh: boolean }[] = [];
  // ARI on every run (docs/operations.md "ARI"): each live certificate whose Retry-After has passed, CONCURRENCY at a time.
  const checked = new Map<string, IndexEntry>();
  /** Certificates whose window the CA moved in this run's check so that they are due now. */
  const movedIntoPast = new Set<string>();
  const asked = desired.filter((item) => !options.force && !(item.undeclared && index.entries[item.name]?.state === 'revoked') && ariDue(index.entries[item.name], now(), options.names.includes(item.name)));
  let nextAsked = 0;
  const asker = async () => {
    while (nextAsked < asked.length) {
      const name = asked[nextAsked++]!.name;
      const check = await checkAri({ store, progress, now, renewBeforeDays: config.renewBeforeDays }, name, index.entries[name]!);
      checked.set(name, check.entry);
      if (check.checkTimeOnly) checkTimes[name] = check.entry;
      else replanned = true;
      if (check.moved !== undefined) progress.metric(metric.ariWindowMoved(name, check.moved.explanationUrl, check.moved.due));
      if (check.moved?.due === true) movedIntoPast.add(name);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, asked.length) }, asker));
  for (const item of desired) {
    const entry = checked.get(item.name) ?? index.entries[item.name];
    if (item.undeclared && entry?.state === 'revoked') {
      // Revoked and then undeclared is someone stopping it: not issued again behind their back.
      reports.push({ name: item.name, action: 'skipped', reason: `revoked and not declared: \`delete ${item.name}\` to forget it`, serial: entry.serial, notAfter: entry.notAfter });
      continue;
    }
    const verdict = sweepVerdict({ domainsKey: domainsKey(item.domains), keyType: item.keyType, directoryUrls: item.directoryUrls }, entry, now(), options.force);
    if (verdict.action === 'skip') reports.push({ name: item.name, action: 'skipped', reason: verdict.reason, serial: entry?.serial, renewAt: entry?.renewAt, notAfter: entry?.notAfter });
    else work.push({ item, reason: withAriWindow(verdict.reason, entry, movedIntoPast.has(item.name)), fresh: entry?.serial === undefined });
  }

  // The new check times in one write, onto entries that still name the same certificate.
  if (Object.keys(checkTimes).length > 0 && !options.dryRun) {
    const updates = Object.fromEntries(
      Object.entries(checkTimes).map(([name, checked]) => [
        name,
        (current: IndexEntry | undefined) => (current !== undefined && current.serial === checked.serial ? { ...current, ariCheckAt: checked.ariCheckAt } : current),
      ]),
    );
    // Over the index this run read, unless a re-plan above wrote it since (then read again).
    await updateIndexEntries(store, updates, undefined, replanned ? undefined : read);
  }

  if (options.dryRun) {
    reports.push(...work.map(({ item, reason }) => ({ name: item.name, action: 'would-issue' as const, reason })));
  } else {
    // Old ARNs a key-type change left in use: tried again on every run, due or not.
    for (const report of reports.filter((r) => r.action === 'skipped' && (index.entries[r.name]?.retiredAcmArns?.length ?? 0) > 0)) {
      await retirePending(ctx, report.name);
    }
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const job = work[next++]!;
        reports.push(await renewOne(ctx, job.item, job.reason, job.fresh, options));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
    // A certificate named on the command line has its live copies checked even when nothing is
    // due (what `health` advises for a damaged one); the scheduled sweep still reads one object.
    for (const [i, report] of reports.entries()) {
      if (report.action === 'skipped' && options.names.includes(report.name)) reports[i] = await healSkipped(ctx, report);
    }
  }
  reports.sort((a, b) => a.name.localeCompare(b.name));
  progress.table(
    'certificate',
    reports.map((r) => ({ ...r })),
    ['name', 'action', 'reason', 'serial', 'renewAt'],
  );
  // DaysToExpiry for every certificate on every run, as this run left it: the expiry alarm and the
  // dashboard read it (docs/operations.md), so it must not depend on something being issued.
  if (!options.dryRun) {
    for (const report of reports) {
      // From the reports (no second read of the index); failed or locked ones still have the certificate the index named.
      const notAfter = report.notAfter ?? index.entries[report.name]?.notAfter;
      // this run's certificate where it issued one, else the index's (skipped: the same certificate)
      const notBefore = report.notBefore ?? index.entries[report.name]?.notBefore;
      const alarm = { notBefore: notBefore === undefined ? undefined : new Date(notBefore), configuredDays: config.events.expiringDays };
      if (notAfter !== undefined) progress.metric(metric.daysToExpiry(report.name, new Date(notAfter), now(), alarm));
    }
    await publishExpiring(
      ctx,
      reports.map((report) => ({ name: report.name, notAfter: report.notAfter ?? index.entries[report.name]?.notAfter })),
    );
  }
  const counts = Object.fromEntries(['issued', 'renewed', 'skipped', 'failed', 'locked', 'would-issue'].map((a) => [a, reports.filter((r) => r.action === a).length]));
  // The stack's RenewalRun* metric filters read this line (lib/core/telemetry.ts): its `failed` count is a number.
  progress.result(IssuerLog.renewSummaryEvent, { certificates: reports.length, ...counts });
  return reports;
}

/** A renewal due by the CA's ARI window says so (the reason goes into the report, the record's history and the event). */
function withAriWindow(reason: string, entry: IndexEntry | undefined, movedNow: boolean): string {
  if (entry?.ariWindow === undefined || !reason.startsWith('renewal due')) return reason;
  return `${reason} (the CA's ARI window ${entry.ariWindow.start} .. ${entry.ariWindow.end}${movedNow ? ', moved by the CA since the last check' : ''})`;
}

function desiredSet(specs: readonly CertificateSpec[], entries: Readonly<Record<string, IndexEntry>>, names: readonly string[], config: CommandContext['config']): Desired[] {
  const fromSpec = (spec: CertificateSpec): Desired => ({
    name: spec.name,
    domains: spec.domains,
    keyType: spec.keyType ?? config.certKeyType,
    directoryUrl: spec.directoryUrl ?? config.directoryUrl,
    directoryUrls: spec.directoryUrls ?? config.directoryUrls,
    profile: spec.profile ?? config.profile,
  });
  const fromEntry = ([name, entry]: [string, IndexEntry]): Desired => ({
    name,
    domains: entry.domainsKey.split(','),
    keyType: entry.keyType as KeyType,
    // Back to ACME_DIRECTORY's first CA when the entry's CA is one of its list (a failover's second).
    ...(config.directoryUrls.includes(entry.directoryUrl) ? { directoryUrl: config.directoryUrl, directoryUrls: config.directoryUrls } : { directoryUrl: entry.directoryUrl, directoryUrls: [entry.directoryUrl] }),
    profile: config.profile,
  });
  // Without CERTIFICATES, renew what exists (certbot's `renew`). With it, the declared set is what
  // is wanted, and what was issued before and is no longer declared is still renewed (with a
  // warning) rather than abandoned: ACM and every consumer still use it until someone deletes it.
  const all: Desired[] =
    specs.length > 0
      ? [
          ...specs.map(fromSpec),
          ...Object.entries(entries)
            .filter(([name]) => isUndeclared(config, name))
            .map((pair) => ({ ...fromEntry(pair), profile: undefined, undeclared: true as const })),
        ]
      : Object.entries(entries).map(fromEntry);
  if (all.length === 0 && names.length === 0) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, 'there are no certificates to renew', {
      hint: 'declare them in CERTIFICATES (name=domain1,domain2 …) or issue one with `issue --name NAME --domain D`',
    });
  }
  if (names.length === 0) return all;
  const unknown = names.filter((name) => !all.some((d) => d.name === name));
  if (unknown.length > 0) {
    throw new IssuerError(ErrorCodes.NOT_FOUND, `no certificate named ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      hint: 'run `list` to see the names, or add it to CERTIFICATES or `declare` it',
    });
  }
  return all.filter((d) => names.includes(d.name));
}

/** Deletes what it can of a certificate's pending old ACM ARNs, under its lease (held elsewhere: next run). */
async function retirePending(ctx: CommandContext, name: string): Promise<void> {
  const progress = ctx.progress.forCertificate(name);
  await withLease(ctx.store, name, { holder: progress.runId, now: ctx.now, ttlMs: ctx.config.leaseSeconds * 1000 }, async () => {
    const loaded = await loadRecord(ctx.store, name);
    if (loaded === undefined || (loaded.record.retiredAcm ?? []).length === 0) return;
    const aws = ctx.acmImporters(name)[0]?.aws;
    const { kept } = await retireAcm(loaded.record.retiredAcm ?? [], listenersOf(loaded.record, ctx.config.exports.httpsListenerArn), aws, progress);
    const saved = await saveRecord(ctx.store, { record: { ...loaded.record, retiredAcm: kept.length === 0 ? undefined : kept }, etag: loaded.etag });
    await putIndexEntry(ctx.store, name, indexEntryOf(saved.record));
  }).catch((error: unknown) => {
    // Cleanup only: the certificate itself is fine, and the next run tries again.
    if (error instanceof IssuerError && error.code === ErrorCodes.LOCK_HELD) return;
    progress.error(error instanceof IssuerError ? error.code : 'ERR_INTERNAL', `${name}: could not retry deleting its old ACM ARNs: ${error instanceof Error ? error.message : String(error)}`, 'the next run tries again');
  });
}

async function renewOne(ctx: CommandContext, desiredItem: Desired, reason: string, fresh: boolean, options: RenewOptions): Promise<RenewReport> {
  const force = options.force;
  const { store, now, config } = ctx;
  let item = desiredItem;
  const progress = ctx.progress.forCertificate(item.name);
  const started = now();
  try {
    return await withLease(store, item.name, { holder: progress.runId, now, ttlMs: ctx.config.leaseSeconds * 1000 }, async () => {
      await healLiveCopies(store, item.name, progress);
      // Check again under the lease: another run may have done this while we were deciding.
      const loaded = await loadRecord(store, item.name);
      // profile= or ACME_PROFILE when declared, else the one the CA issued the live certificate under
      if (item.profile === undefined) item = { ...item, profile: loaded?.record.profile };
      const finished = loaded === undefined ? undefined : await finishInterrupted(ctx, progress, loaded, item);
      if (finished !== undefined) return finished;
      if (loaded !== undefined) {
        const current = indexEntryOf(loaded.record);
        const verdict = sweepVerdict({ domainsKey: domainsKey(item.domains), keyType: item.keyType, directoryUrls: item.directoryUrls }, current, now(), force);
        if (verdict.action === 'skip') {
          await putIndexEntry(store, item.name, current);
          return { name: item.name, action: 'skipped' as const, reason: `${verdict.reason} (done by another run)`, serial: current.serial, renewAt: current.renewAt, notAfter: current.notAfter };
        }
      }
      // Recorded together with `issuing` in one write, so a crash cannot leave the record saying "due" alone.
      const precedingState = loaded?.record.state !== 'active' ? undefined : loaded.record.notAfter !== undefined && new Date(loaded.record.notAfter) <= now() ? ('expired' as const) : ('renewal-due' as const);
      const replaced = fresh ? undefined : await replacedCertId(ctx, item.name, item.directoryUrls);
      progress.info(`${fresh ? 'issuing' : 'renewing'} "${item.name}": ${reason}`, { name: item.name, reason });
      const request = {
        name: item.name,
        domains: item.domains,
        keyType: item.keyType,
        directoryUrl: item.directoryUrl,
        directoryUrls: item.directoryUrls,
        profile: item.profile,
        replaces: replaced?.certId,
        replacesAt: replaced?.directoryUrl,
        precedingState,
        cause: reason,
        // A declared key-type change is the consent to a new ARN: ACM cannot change the algorithm in place.
        allowNewArn: true,
        renewBeforeDays: config.renewBeforeDays,
        rotateKey: options.rotateKey,
      };
      const outcome = await runIssuance(
        ctx,
        progress,
        request,
        { skipPreflight: options.skipPreflight },
        { operation: fresh ? 'issue' : 'renew', event: fresh ? EventDetailTypes.issued : EventDetailTypes.renewed, reason, ariExplanationUrl: fresh ? undefined : loaded?.record.ariExplanationUrl },
      );
      return {
        name: item.name,
        action: fresh ? ('issued' as const) : ('renewed' as const),
        reason,
        serial: outcome.record.serial,
        renewAt: outcome.record.renewAt,
        notAfter: outcome.record.notAfter,
        notBefore: outcome.record.notBefore,
        ca: outcome.record.directoryUrl,
        ...(outcome.replacedAcm.length === 0 ? {} : { replacedAcmArns: outcome.replacedAcm.map((r) => r.oldArn) }),
      };
    });
  } catch (error) {
    if (error instanceof IssuerError && error.code === ErrorCodes.LOCK_HELD) {
      return { name: item.name, action: 'locked', reason: error.message, code: error.code };
    }
    await publishFailure(ctx, item.name, started, 'renew');
    return failedReport(progress, item.name, error);
  }
}

function failedReport(progress: Progress, name: string, error: unknown): RenewReport {
  const code = error instanceof IssuerError ? error.code : 'ERR_INTERNAL';
  progress.error(code, `${name}: ${error instanceof Error ? error.message : String(error)}`, error instanceof IssuerError ? error.hint : undefined);
  return { name, action: 'failed', reason: error instanceof Error ? error.message : String(error), code };
}

/** Rewrites a skipped certificate's damaged live copies from the archive, under its lease. */
async function healSkipped(ctx: CommandContext, report: RenewReport): Promise<RenewReport> {
  const progress = ctx.progress.forCertificate(report.name);
  try {
    const rewritten = await withLease(ctx.store, report.name, { holder: progress.runId, now: ctx.now, ttlMs: ctx.config.leaseSeconds * 1000 }, () => healLiveCopies(ctx.store, report.name, progress));
    return rewritten.length === 0 ? report : { ...report, reason: `${report.reason}; rewrote ${rewritten.map((copy) => copy.key).join(', ')} from the archive` };
  } catch (error) {
    // Whoever holds the lease checks the copies itself.
    if (error instanceof IssuerError && error.code === ErrorCodes.LOCK_HELD) return report;
    return failedReport(progress, report.name, error);
  }
}

/**
 * A run that died after making a new certificate live but before recording it (ACM import,
 * record, index) is finished from the archive instead of ordering again (certbot does the same
 * with an interrupted deployment). Returns undefined when there is nothing to finish.
 */
async function finishInterrupted(ctx: CommandContext, progress: Progress, loaded: LoadedRecord, item: Desired): Promise<RenewReport | undefined> {
  const metadata = await readLiveMetadata(ctx.store, item.name);
  if (metadata === undefined || metadata.serial === loaded.record.serial) return undefined;
  if (domainsKey(metadata.names) !== domainsKey(item.domains)) return undefined; // the live one is not what is wanted now
  const files = await readLiveFiles(ctx.store, metadata);
  const info = parseCertificate(files.cert);
  const record = await progress.step('finish the interrupted run (from the archive)', () =>
    deployPublished(
      { store: ctx.store, acm: ctx.acmImporters(item.name), exports: ctx.exporter(), progress, now: ctx.now },
      loaded,
      files,
      info,
      metadata,
      { name: item.name, directoryUrl: metadata.directoryUrl, allowNewArn: true, renewBeforeDays: ctx.config.renewBeforeDays },
      `finished an interrupted run: serial ${metadata.serial}`,
    ),
  );
  await ctx.events.publish(EventDetailTypes.renewed, factsOf(record.record, metadata, item.name), { reason: 'an earlier run did not finish; completed it' });
  return {
    name: item.name,
    action: 'renewed',
    reason: 'an earlier run did not finish; completed it',
    serial: record.record.serial,
    renewAt: record.record.renewAt,
    notAfter: record.record.notAfter,
    notBefore: record.record.notBefore,
    ...(record.replacedAcm.length === 0 ? {} : { replacedAcmArns: record.replacedAcm.map((r) => r.oldArn) }),
  };
}

/** The ARI CertID of the live certificate and the CA that issued it, when that CA is one of the certificate's and offers ARI (sent as `replaces`). */
async function replacedCertId(ctx: CommandContext, name: string, directoryUrls: readonly string[]): Promise<{ certId: string; directoryUrl: string } | undefined> {
  const metadata = await readLiveMetadata(ctx.store, name);
  if (metadata === undefined || !directoryUrls.includes(metadata.directoryUrl)) return undefined;
  const directory = await fetchDirectory(metadata.directoryUrl).catch(() => undefined);
  if (directory?.renewalInfo === undefined) return undefined;
  const certId = certIdOf((await readLiveFiles(ctx.store, metadata)).cert);
  return certId === undefined ? undefined : { certId, directoryUrl: metadata.directoryUrl };
}
