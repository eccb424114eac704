// The one issuance path of `issue` and `renew`, under the caller's lease: the pipeline
// (certificates/issue.ts: plan, order, archive, publish, deploy), then announce (metrics and
// the EventBridge event). What differs between the two commands is only what they pass in.
import { EventDetailTypes } from '../../lib/core/index.js';
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
 * Issues one certificate with the account of its CA: the pre-flight (unless skipped) runs inside
 * the issuance, so a name that does not reach us is recorded `failed` with a retry time like any
 * other failure; IssuanceSucceeded/IssuanceFailed and DaysToExpiry are reported, and on success
 * the event is sent. The caller holds the certificate's lease.
 */
export async function runIssuance(ctx: CommandContext, progress: Progress, request: IssueRequest, options: { readonly skipPreflight: boolean }, announce: Announcement): Promise<IssueOutcome> {
  const account = await ctx.account(request.directoryUrl);
  const preflight = options.skipPreflight ? undefined : (domains: readonly string[]) => runPreflight(domains, account.registration.thumbprint, { progress });
  const deps = { preflight, store: ctx.store, issuer: account.issuer, acm: ctx.acmImporters(request.name), exports: ctx.exporter(), progress, now: ctx.now };
  const outcome = await observeIssuance(progress, announce.operation, request.name, () => issueCertificate(deps, request), ctx.now);
  await ctx.events.publish(announce.event, factsOf(outcome.record, outcome.published.metadata, request.name), { reason: announce.reason, ariExplanationUrl: announce.ariExplanationUrl });
  return outcome;
}
