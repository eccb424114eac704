// The one issuance path of `issue` and `renew`, under the caller's lease: the pipeline
// (certificates/issue.ts: plan, order, archive, publish, deploy), then announce (metrics and
// the EventBridge event). What differs between the two commands is only what they pass in.
import { EventDetailTypes } from '../../lib/core/index.js';
import { fetchDirectory } from '../acme/directory.js';
import { FailoverIssuer } from '../acme/failover.js';
import { issueCertificate, type IssueOutcome, type IssueRequest } from '../certificates/issue.js';
import { factsOf } from '../observability/events.js';
import { observeIssuance } from '../observability/issuance.js';
import type { Operation } from '../observability/metrics.js';
import type { Progress } from '../progress.js';
import { runPreflight } from '../preflight.js';
import type { CommandContext } from './context.js';

export interface Announcement {
  /** The metrics' Operation dimension. */
  readonly operation: Operation;
  readonly event: typeof EventDetailTypes.issued | typeof EventDetailTypes.renewed;
  /** The event's reason ("issue command", "renewal due", …). */
  readonly reason: string;
  /** The CA's ARI explanationURL of the window that made the replaced certificate due. */
  readonly ariExplanationUrl?: string | undefined;
}

/**
 * Issues one certificate with the account of its CA, or of the next of its CAs when one fails for
 * a reason of its own (acme/failover.ts): the pre-flight (unless skipped) runs inside
 * the issuance, so a name that does not reach us is recorded `failed` with a retry time like any
 * other failure; IssuanceSucceeded/IssuanceFailed and DaysToExpiry are reported, and on success
 * the event is sent. The caller holds the certificate's lease.
 */
export async function runIssuance(
  ctx: CommandContext,
  progress: Progress,
  request: IssueRequest,
  options: { readonly skipPreflight: boolean; readonly issuer?: FailoverIssuer | undefined },
  announce: Announcement,
): Promise<IssueOutcome> {
  const issuer = options.issuer ?? caFailover(ctx, progress, request.directoryUrls ?? [request.directoryUrl]);
  // The account at the first CA that answers, before the lease's work: every CA shares its key.
  // Its CAA pin and its profiles are what the pre-flight and the plan check (a CA after it is
  // tried only when that one fails for a reason of its own).
  const first = await issuer.firstAnswering();
  const caa = { identities: first.account.caaIdentities, accountUrl: first.account.registration.accountUrl };
  const preflight = options.skipPreflight ? undefined : (domains: readonly string[]) => runPreflight(domains, first.account.registration.thumbprint, { progress, caa });
  const offeredProfiles = async () => (await fetchDirectory(first.directoryUrl)).profiles;
  const deps = { preflight, offeredProfiles, store: ctx.store, issuer, acm: ctx.acmImporters(request.name), exports: ctx.exporter(), progress, now: ctx.now };
  const outcome = await observeIssuance(progress, announce.operation, request.name, () => issueCertificate(deps, request), ctx.now, ctx.config.events.expiringDays);
  await ctx.events.publish(announce.event, factsOf(outcome.record, outcome.published.metadata, request.name), { reason: announce.reason, ariExplanationUrl: announce.ariExplanationUrl });
  return outcome;
}

/** The certificate's CAs in order, each account made on first use; every move to the next CA is a warning naming both and why. */
export function caFailover(ctx: CommandContext, progress: Progress, directoryUrls: readonly string[]): FailoverIssuer {
  return new FailoverIssuer(
    directoryUrls.map((directoryUrl) => ({ directoryUrl, account: () => ctx.account(directoryUrl) })),
    {
      failedOver: (from, reason, error, to) => progress.warn(`${from} failed (${reason}): ${error instanceof Error ? error.message : String(error)}; trying the next CA, ${to}`, { ca: from, reason, next: to }),
      issuedAfterFailover: (by, failed) => progress.info(`issued by ${by} (failover: ${failed.join(', ')} failed this run; the next renewal tries the first CA again)`, { ca: by, failedCas: [...failed] }),
    },
  );
}
