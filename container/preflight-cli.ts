// How the CLI's `issue` uses the pre-flight and reports the run as metrics. Kept out of cli.ts
// and commands/ so the wiring there stays one line each.
import { assertCertName, normalizeDomains } from '../lib/core/index.js';
import type { IssueOutcome } from './certificates/issue.js';
import type { CommandContext } from './commands/context.js';
import { metric, type Operation } from './observability/metrics.js';
import { observeIssuance } from './observability/issuance.js';
import { runPreflight, type PreflightReport } from './preflight.js';

/**
 * The pre-flight before an `issue`: input checked first (a bad name fails as before), then the
 * account (cached in ctx, so the issue that follows reuses it and its published public JWK), then
 * every name probed. Throws ERR_PREFLIGHT_FAILED, counted as IssuanceFailed, before any order.
 */
export async function preflightForIssue(ctx: CommandContext, name: string, domains: readonly string[], operation: Operation = 'issue'): Promise<PreflightReport> {
  const certName = assertCertName(name);
  const names = normalizeDomains(domains);
  try {
    const account = await ctx.account();
    // Lines of its own per name rather than a Progress step: the step list stays the order's.
    return await runPreflight(names, account.registration.thumbprint, { progress: ctx.progress });
  } catch (error) {
    ctx.progress.metric(metric.issuanceFailed(operation, certName, error instanceof Error && 'code' in error ? String(error.code) : 'ERR_INTERNAL'));
    throw error;
  }
}

/** Runs an issue command and reports IssuanceSucceeded + DaysToExpiry or IssuanceFailed. */
export async function observeIssueCommand(ctx: CommandContext, name: string, run: () => Promise<IssueOutcome>, operation: Operation = 'issue'): Promise<void> {
  await observeIssuance(ctx.progress, operation, name, run, ctx.now);
}
