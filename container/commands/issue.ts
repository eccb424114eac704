import { assertCertName, normalizeDomains, type KeyType } from '../../lib/core/index.js';
import { issueCertificate, type IssueOutcome } from '../certificates/issue.js';
import { withLease } from '../certificates/lease.js';
import { healLiveCopies } from '../certificates/live-copies.js';
import type { CommandContext } from './context.js';

export interface IssueOptions {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType | undefined;
  readonly newArn: boolean;
  /** A new private key instead of the live one (--rotate-key). */
  readonly rotateKey?: boolean | undefined;
}

/** `issue`: one certificate now, whatever its state (renew is the command that decides). */
export async function issueCommand(ctx: CommandContext, options: IssueOptions): Promise<IssueOutcome> {
  const { config, store, progress, now } = ctx;
  const name = assertCertName(options.name);
  const domains = normalizeDomains(options.domains);
  progress.info(`issuing "${name}" for ${domains.join(', ')} from ${config.directoryUrl}`, { name, domains });
  const account = await ctx.account();
  const outcome = await withLease(store, name, { holder: progress.runId, now, ttlMs: ctx.config.leaseSeconds * 1000 }, async () => {
    await healLiveCopies(store, name, progress);
    return issueCertificate(
      { store, client: account.client, poll: account.poll, acm: ctx.acmImporters(name), exports: ctx.exporter(), progress, now },
      {
        name,
        domains,
        keyType: options.keyType ?? config.certKeyType,
        directoryUrl: config.directoryUrl,
        profile: config.profile,
        replaces: undefined,
        cause: 'issue command',
        allowNewArn: options.newArn,
        renewBeforeDays: config.renewBeforeDays,
        rotateKey: options.rotateKey,
      },
    );
  });
  const info = outcome.published.info;
  progress.result('issued', {
    name,
    names: [...info.names],
    issuer: info.issuer,
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    fingerprint: info.fingerprintSha256,
    keyAlgorithm: info.keyAlgorithm,
    renewAt: `${outcome.record.renewAt ?? '-'} (${outcome.record.renewalRule ?? '-'})`,
    s3Keys: outcome.published.keysWritten.map((key) => `s3://${config.bucket}/${key}`),
    acmArn: outcome.acm.map((r) => r.certificateArn).join(', ') || '(ACM import off)',
  });
  return outcome;
}
