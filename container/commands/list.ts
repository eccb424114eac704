import { ErrorCodes, IssuerError, assertCertName, effectiveState, layout, type DeclaredIn } from '../../lib/core/index.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { isUndeclared, undeclaredWarning } from '../certificates/declared.js';
import { loadIndex } from '../../lib/store/index-store.js';
import { loadRecord } from '../../lib/store/records.js';
import type { CommandContext } from './context.js';

const DAY_MS = 86_400_000;

/** Where each certificate is declared (CERTIFICATES: env, declared/: store, both); absent: not declared. */
export type DeclaredWhere = Readonly<Record<string, DeclaredIn>>;

/** `list`: every certificate from the index alone (one S3 read, whatever the count, and one for declared/). */
export async function listCommand(ctx: CommandContext, declaredIn: DeclaredWhere = {}): Promise<void> {
  const now = ctx.now();
  const { index } = await loadIndex(ctx.store, (message, fields) => ctx.progress.info(message, fields));
  const rows = Object.entries(index.entries)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => {
      const names = entry.domainsKey.split(',');
      return {
        name,
        names: names.length === 1 ? names[0] : `${names[0]} +${names.length - 1}`,
        state: effectiveState(entry, now),
        notAfter: entry.notAfter?.slice(0, 16).replace('T', ' '),
        daysLeft: entry.notAfter === undefined ? undefined : Math.floor((new Date(entry.notAfter).getTime() - now.getTime()) / DAY_MS),
        nextRenewal: (entry.retryAt ?? entry.renewAt)?.slice(0, 16).replace('T', ' '),
        acmArn: entry.acmArns?.join(' '),
        declared: !isUndeclared(ctx.config, name),
        declaredIn: declaredIn[name] ?? (isUndeclared(ctx.config, name) ? 'no' : undefined),
      };
    });
  // Declared and not issued yet (the next renew issues them): listed too, so a declaration is never invisible.
  for (const [name, where] of Object.entries(declaredIn)) {
    if (index.entries[name] !== undefined) continue;
    const spec = ctx.config.certificates.find((s) => s.name === name);
    const names = spec?.domains ?? [];
    rows.push({
      name,
      names: names.length <= 1 ? names[0] : `${names[0]} +${names.length - 1}`,
      state: 'pending',
      notAfter: undefined,
      daysLeft: undefined,
      nextRenewal: 'next renew',
      acmArn: undefined,
      declared: true,
      declaredIn: where,
    });
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  if (rows.length === 0) {
    ctx.progress.info('no certificates yet: declare them in CERTIFICATES or with `declare` and run `renew`, or run `issue`');
    return;
  }
  const columns = ['name', 'names', 'state', 'notAfter', 'daysLeft', 'nextRenewal', 'acmArn'];
  const undeclared = rows.filter((row) => !row.declared);
  // The column only where it can say something: something declared in the store, or outside the declared set.
  const said = undeclared.length > 0 || Object.values(declaredIn).some((where) => where !== 'env');
  ctx.progress.table('certificate', rows, said ? [...columns, 'declaredIn'] : columns);
  for (const row of undeclared) ctx.progress.warn(undeclaredWarning(row.name), { name: row.name });
}

/** `show NAME`: the record (state, history, last error, ARNs, renewal plan), the live pointer and any lease. */
export async function showCommand(ctx: CommandContext, nameArg: string, declaredIn: DeclaredWhere = {}): Promise<void> {
  const name = assertCertName(nameArg);
  const [loaded, live, lease] = await Promise.all([loadRecord(ctx.store, name), readLiveMetadata(ctx.store, name), ctx.store.get(layout.lock(name))]);
  if (loaded === undefined && live === undefined && declaredIn[name] === undefined) {
    throw new IssuerError(ErrorCodes.NOT_FOUND, `no certificate named "${name}"`, { hint: 'run `list` to see the names' });
  }
  const record = loaded?.record;
  const now = ctx.now();
  const declared = !isUndeclared(ctx.config, name);
  if (!declared) ctx.progress.warn(undeclaredWarning(name), { name });
  ctx.progress.result('certificate', {
    name,
    declared,
    declaredIn: declaredIn[name],
    // Declared and not issued yet: pending, as `list` shows it.
    state: record !== undefined ? effectiveState(record, now) : live === undefined ? 'pending' : undefined,
    storedState: record?.state,
    domains: record?.domains ?? live?.names ?? ctx.config.certificates.find((spec) => spec.name === name)?.domains,
    keyType: record?.keyType,
    ca: record?.directoryUrl,
    profile: record?.profile,
    serial: live?.serial,
    issuer: live?.issuer,
    notBefore: live?.notBefore,
    notAfter: live?.notAfter,
    fingerprint: live?.fingerprintSha256,
    // The one object holding certificate, chain and key together (docs/consuming.md, the read protocol).
    bundle: live === undefined ? undefined : `s3://${ctx.config.bucket}/${live.bundleKey ?? `${live.archivePrefix}bundle.json`}`,
    renewAt: record?.renewAt,
    renewalRule: record?.renewalRule,
    ariWindow: record?.ariWindow === undefined ? undefined : `${record.ariWindow.start} .. ${record.ariWindow.end}`,
    // Why the CA put the window where it is (a mass revocation, an incident): its own page.
    ariExplanation: record?.ariExplanationUrl,
    ariCheckAt: record?.ariCheckAt,
    pendingOrder:
      record?.pendingOrder === undefined ? undefined : `${record.pendingOrder.url} (saved ${record.pendingOrder.savedAt}${record.pendingOrder.replaces === undefined ? '' : `, replaces ${record.pendingOrder.replaces}`})`,
    failedAttempts: record?.failedAttempts,
    retryAt: record?.retryAt,
    lastError: record?.lastError === undefined ? undefined : `${record.lastError.at} ${record.lastError.code}: ${record.lastError.message}`,
    acm: record?.acm.map((r) => `${r.region} ${r.certificateArn} (serial ${r.serial})`),
    exports: record?.exports?.map((e) => `${e.kind} ${e.id} (version ${e.version}, serial ${e.serial})`),
    acmPendingDeletion: record?.retiredAcm?.map((r) => `${r.region} ${r.certificateArn} (replaced by ${r.replacedBy}; in use by ${r.inUseBy.join(', ') || 'nothing known'})`),
    lease: lease?.body.trim(),
    history: record?.history.map((h) => `${h.at} ${h.state.padEnd(11)} ${h.cause}`),
  });
}
