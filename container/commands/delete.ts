import { ErrorCodes, EventDetailTypes, IssuerError, PEM_FILES, assertCertName, layout, loadBalancerOfListener, regionOfArn, type DeclaredIn, type RenewalRecord } from '../../lib/core/index.js';
import { AcmCertificates } from '../aws/acm-certificates.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { putIndexEntry } from '../../lib/store/index-store.js';
import { withLease } from '../certificates/lease.js';
import { loadRecord } from '../../lib/store/records.js';
import { ListenerAttachment } from '../exports/listener.js';
import { SecretsManagerExport } from '../exports/secrets-manager.js';
import { SsmExport } from '../exports/ssm.js';
import { factsOf } from '../observability/events.js';
import type { CommandContext } from './context.js';

export interface DeleteOptions {
  /** Days Secrets Manager keeps the deleted secret restorable (7-30, lib/core SECRET_RECOVERY_DAYS). */
  readonly recoveryDays: number;
  /** Where the certificate is declared, when it is (the CLI reads CERTIFICATES and declared/ together). */
  readonly declaredIn?: DeclaredIn | undefined;
}

/**
 * `delete NAME`: takes away everything the issuer made for a certificate, as its record lists it:
 * the HTTPS listener attachments, every ACM copy in every region (also old ARNs left by a key-type
 * change), the Secrets Manager secret (with a recovery window), the SSM parameter, then the live
 * copies, the index entry and last the record, so an interrupted delete run again finds what is
 * left and finishes. Refused while CERTIFICATES still declares it (the next renew would issue it
 * again) and while ACM says anything but our own listener uses it (InUseBy). The archive is kept.
 */
export async function deleteCommand(ctx: CommandContext, nameArg: string, options: DeleteOptions): Promise<void> {
  const { store, progress, now, config } = ctx;
  const name = assertCertName(nameArg);
  if (config.certificates.some((spec) => spec.name === name)) {
    const inStore = options.declaredIn === 'store';
    throw new IssuerError(ErrorCodes.BAD_INPUT, `"${name}" is still declared in ${inStore ? layout.declared(name) : 'CERTIFICATES'}; the next renew would issue it again`, {
      hint: inStore ? `\`undeclare ${name}\` first, then delete` : `remove "${name}=…" from CERTIFICATES first${options.declaredIn === 'both' ? ` (and \`undeclare ${name}\`)` : ''}, then delete`,
    });
  }
  const loaded = await loadRecord(store, name);
  if (loaded === undefined) throw new IssuerError(ErrorCodes.NOT_FOUND, `no certificate named "${name}"`, { hint: 'run `list` to see the names' });
  const record = loaded.record;
  const certificates = acmCertificatesOf(record);
  const listeners = [...new Set((record.exports ?? []).filter((e) => e.kind === 'listener').map((e) => e.id))];
  // Read before the pointer goes: the Deleted event names the version that was live (its archive stays).
  const metadata = await readLiveMetadata(store, name);

  const outcome = await withLease(store, name, { holder: progress.runId, now, ttlMs: config.leaseSeconds * 1000 }, async () => {
    const acm = new Map<string, AcmCertificates>();
    const acmIn = (region: string) => acm.get(region) ?? acm.set(region, new AcmCertificates({ ...config.aws, region })).get(region)!;

    // Our own listener shows up in InUseBy as its load balancer: that one we detach ourselves.
    // Anything else is someone's: refuse before anything is changed.
    const ours = new Set(listeners.map(loadBalancerOfListener));
    const existing: { region: string; certificateArn: string }[] = [];
    for (const certificate of certificates) {
      const usage = await acmIn(certificate.region).usage(certificate.certificateArn);
      if (!usage.exists) continue;
      const others = usage.inUseBy.filter((user) => !ours.has(user));
      if (others.length > 0) {
        throw new IssuerError(ErrorCodes.BAD_INPUT, `"${name}" is in use in ACM (${certificate.certificateArn}) by:\n  - ${others.join('\n  - ')}`, {
          hint: 'move those listeners or distributions to another certificate first; nothing was deleted',
        });
      }
      existing.push(certificate);
    }

    for (const listenerArn of listeners) {
      const listener = new ListenerAttachment({ ...config.aws, region: regionOfArn(listenerArn) }, listenerArn);
      for (const certificate of certificates.filter((c) => c.region === regionOfArn(listenerArn))) {
        await progress.step(
          `detach ${certificate.certificateArn} from the HTTPS listener`,
          () => listener.detach(certificate.certificateArn),
          (result) => (result === 'default' ? "it is the listener's default certificate: left for you to change" : result),
        );
      }
    }
    const notes = ['the record, the exports and the live copies are still there: run delete again once it can'];
    for (const certificate of existing) {
      await progress.step(
        `delete ${certificate.certificateArn}`,
        () => acmIn(certificate.region).delete(certificate.certificateArn, notes),
        (deleted) => (deleted ? 'deleted' : 'already gone'),
      );
    }

    let secret: { arn: string; deletionDate: Date } | undefined;
    for (const exported of (record.exports ?? []).filter((e) => e.kind === 'secretsmanager')) {
      const secrets = new SecretsManagerExport({ ...config.aws, region: regionOfArn(exported.id) || config.aws.region }, undefined);
      const scheduled = await progress.step(
        `delete secret ${exported.id} (recoverable for ${options.recoveryDays} days)`,
        () => secrets.scheduleDeletion(exported.id, options.recoveryDays),
        (s) => (s === undefined ? 'already gone' : `${s.scheduledNow ? 'scheduled' : 'already scheduled'}: deleted for good on ${s.deletionDate.toISOString()}`),
      );
      secret ??= scheduled;
    }
    const parameters: string[] = [];
    for (const exported of (record.exports ?? []).filter((e) => e.kind === 'ssm')) {
      const ssm = new SsmExport(config.aws, undefined);
      await progress.step(
        `delete parameter ${exported.id}`,
        () => ssm.delete(exported.id),
        (deleted) => (deleted ? 'deleted' : 'already gone'),
      );
      parameters.push(exported.id);
    }

    await progress.step('delete live copies, index entry and record (archive kept)', async () => {
      for (const file of PEM_FILES) await store.delete(layout.livePem(name, file));
      await store.delete(layout.liveBundle(name)); // it holds the key too
      await store.delete(layout.liveMetadata(name));
      await putIndexEntry(store, name, undefined);
      await store.delete(layout.renewal(name));
    });
    return { secret, parameters };
  });

  const { secret, parameters } = outcome;
  await ctx.events.publish(EventDetailTypes.deleted, factsOf(loaded.record, metadata, name));
  progress.result('deleted', {
    name,
    acmDeleted: certificates.map((c) => c.certificateArn),
    listenersDetached: listeners,
    ...(secret === undefined
      ? {}
      : {
          secretArn: secret.arn,
          secretDeletedOn: secret.deletionDate.toISOString(),
          secretRestore: `aws secretsmanager restore-secret --region ${regionOfArn(secret.arn)} --secret-id ${secret.arn} (until ${secret.deletionDate.toISOString()})`,
        }),
    parametersDeleted: parameters,
    archiveKept: `s3://${config.bucket}/${layout.archivePrefix}${name}/`,
  });
}

/** Every ACM certificate the record knows of: the live ARNs per region and old ones a key-type change left. */
function acmCertificatesOf(record: RenewalRecord): { region: string; certificateArn: string }[] {
  const all = [...record.acm, ...(record.retiredAcm ?? [])].map((c) => ({ region: c.region, certificateArn: c.certificateArn }));
  return all.filter((c, i) => all.findIndex((o) => o.certificateArn === c.certificateArn) === i);
}
