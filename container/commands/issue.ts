import { ErrorCodes, EventDetailTypes, IssuerError, assertCertName, normalizeDomains, type KeyType } from '../../lib/core/index.js';
import type { IssueOutcome } from '../certificates/issue.js';
import { withLease } from '../certificates/lease.js';
import { healLiveCopies } from '../certificates/live-copies.js';
import { loadRecord } from '../../lib/store/records.js';
import { publishFailure } from '../observability/failure-event.js';
import type { CommandContext } from './context.js';
import { caFailover, runIssuance } from './issuance.js';

export interface IssueOptions {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType: KeyType | undefined;
  readonly newArn: boolean;
  /** A new private key instead of the live one (--rotate-key). */
  readonly rotateKey?: boolean | undefined;
  /** Order without first probing each name through the public path (--skip-preflight). */
  readonly skipPreflight?: boolean | undefined;
}

/** `issue`: one certificate now, whatever its state (renew is the command that decides). */
export async function issueCommand(ctx: CommandContext, options: IssueOptions): Promise<IssueOutcome> {
  const { config, store, progress, now } = ctx;
  const name = assertCertName(options.name);
  const domains = normalizeDomains(options.domains);
  progress.info(`issuing "${name}" for ${domains.join(', ')} from ${config.directoryUrls.join(', then ')}`, { name, domains });
  const keyType = options.keyType ?? config.certKeyType;
  const existing = await loadRecord(store, name);
  if (!options.newArn && existing !== undefined && existing.record.acm.length > 0 && existing.record.keyType !== keyType) {
    // Refused before ordering: ACM would refuse the re-import only after a certificate was spent.
    throw new IssuerError(
      ErrorCodes.BAD_INPUT,
      `"${name}" is ${existing.record.keyType} in ACM (${existing.record.acm.map((r) => r.certificateArn).join(', ')}); ACM cannot re-import a ${keyType} certificate into the same ARN`,
      {
        hint: 'pass --new-arn to import it under a new ARN (the listener is moved to it and the old ARN deleted once nothing uses it), or keep --key-type as it was; nothing was ordered',
      },
    );
  }
  // The account before the lease: a CA that cannot be reached (or refuses the account) then
  // fails the run before anything is written, as the bad-input suite demands. It is kept per run;
  // with several CAs in ACME_DIRECTORY, only when none of them answers.
  const issuer = caFailover(ctx, progress, config.directoryUrls);
  await issuer.firstAnswering();
  const started = now();
  const outcome = await withLease(store, name, { holder: progress.runId, now, ttlMs: ctx.config.leaseSeconds * 1000 }, async () => {
    await healLiveCopies(store, name, progress);
    const request = {
      name,
      domains,
      keyType,
      directoryUrl: config.directoryUrl,
      directoryUrls: config.directoryUrls,
      // ACME_PROFILE, else the one the live certificate was issued under (as renew does)
      profile: config.profile ?? existing?.record.profile,
      replaces: undefined,
      cause: 'issue command',
      allowNewArn: options.newArn,
      renewBeforeDays: config.renewBeforeDays,
      rotateKey: options.rotateKey,
    };
    return runIssuance(ctx, progress, request, { skipPreflight: options.skipPreflight === true, issuer }, { operation: 'issue', event: EventDetailTypes.issued, reason: 'issue command' });
  }).catch(async (error: unknown) => {
    await publishFailure(ctx, name, started, 'issue');
    throw error;
  });
  const info = outcome.published.info;
  progress.result('issued', {
    name,
    names: [...info.names],
    issuer: info.issuer,
    // The CA that issued it: after a failover, not the first of ACME_DIRECTORY.
    ca: outcome.record.directoryUrl,
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    fingerprint: info.fingerprintSha256,
    keyAlgorithm: info.keyAlgorithm,
    renewAt: `${outcome.record.renewAt ?? '-'} (${outcome.record.renewalRule ?? '-'})`,
    s3Keys: outcome.published.keysWritten.map((key) => `s3://${config.bucket}/${key}`),
    acmArn: outcome.acm.map((r) => r.certificateArn).join(', ') || '(ACM import off)',
    // Said whatever the path: a key-type change moves the certificate to a new ARN, never "the same".
    ...(outcome.replacedAcm.length === 0 ? {} : { replacedAcmArns: outcome.replacedAcm.map((r) => `${r.oldArn} → ${r.newArn}: ${r.status === 'kept' ? `kept, pending deletion (${r.keptBecause})` : r.status}`) }),
  });
  return outcome;
}
