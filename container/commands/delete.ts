import { ACMClient, DeleteCertificateCommand, DescribeCertificateCommand, ResourceNotFoundException } from '@aws-sdk/client-acm';
import { ErrorCodes, IssuerError, PEM_FILES, assertCertName, awsClientSettings, layout } from '../../lib/core/index.js';
import { putIndexEntry } from '../certificates/index-store.js';
import { withLease } from '../certificates/lease.js';
import { loadRecord } from '../certificates/records.js';
import { acmDenied } from '../aws/acm-importer.js';
import type { CommandContext } from './context.js';

/**
 * `delete NAME`: forgets a certificate. Refuses while ACM says something uses it (InUseBy) or
 * while CERTIFICATES still declares it (the next renew would issue it again). The archive is
 * kept: nothing ever deletes an archived version.
 */
export async function deleteCommand(ctx: CommandContext, nameArg: string): Promise<void> {
  const { store, progress, now, config } = ctx;
  const name = assertCertName(nameArg);
  if (config.certificates.some((spec) => spec.name === name)) {
    throw new IssuerError(ErrorCodes.BAD_INPUT, `"${name}" is still declared in CERTIFICATES; the next renew would issue it again`, {
      hint: `remove "${name}=…" from CERTIFICATES first, then delete`,
    });
  }
  const loaded = await loadRecord(store, name);
  if (loaded === undefined) throw new IssuerError(ErrorCodes.NOT_FOUND, `no certificate named "${name}"`, { hint: 'run `list` to see the names' });

  await withLease(store, name, { holder: progress.runId, now, ttlMs: ctx.config.leaseSeconds * 1000 }, async () => {
    for (const record of loaded.record.acm) {
      const acm = new ACMClient(awsClientSettings({ ...config.aws, region: record.region }));
      let inUseBy: string[] = [];
      try {
        inUseBy = (await acm.send(new DescribeCertificateCommand({ CertificateArn: record.certificateArn }))).Certificate?.InUseBy ?? [];
      } catch (error) {
        if (error instanceof ResourceNotFoundException) continue;
        throw acmDenied(error, { action: 'acm:DescribeCertificate', resource: record.certificateArn, during: `could not describe ${record.certificateArn}`, notes: ['nothing was deleted'] }) ??
          new IssuerError(ErrorCodes.ACM_FAILED, `could not describe ${record.certificateArn}: ${String(error)}`, { cause: error });
      }
      if (inUseBy.length > 0) {
        throw new IssuerError(ErrorCodes.BAD_INPUT, `"${name}" is in use in ACM (${record.certificateArn}) by:\n  - ${inUseBy.join('\n  - ')}`, {
          hint: 'move those listeners or distributions to another certificate first; nothing was deleted',
        });
      }
    }
    for (const record of loaded.record.acm) {
      const acm = new ACMClient(awsClientSettings({ ...config.aws, region: record.region }));
      await progress.step(`delete ${record.certificateArn}`, () =>
        acm.send(new DeleteCertificateCommand({ CertificateArn: record.certificateArn })).catch((error: unknown) => {
          if (error instanceof ResourceNotFoundException) return;
          throw acmDenied(error, { action: 'acm:DeleteCertificate', resource: record.certificateArn, during: `could not delete ${record.certificateArn}`, notes: ['the live copies and the record are still there: run delete again once it can'] }) ??
            new IssuerError(ErrorCodes.ACM_FAILED, `could not delete ${record.certificateArn}: ${String(error)}`, { cause: error });
        }),
      );
    }
    await progress.step('delete live copies, record and index entry (archive kept)', async () => {
      for (const file of PEM_FILES) await store.delete(layout.livePem(name, file));
      await store.delete(layout.liveBundle(name)); // it holds the key too
      await store.delete(layout.liveMetadata(name));
      await putIndexEntry(store, name, undefined);
      await store.delete(layout.renewal(name));
    });
  });
  progress.result('deleted', { name, archiveKept: `s3://${config.bucket}/${layout.archivePrefix}${name}/` });
}
