import { ErrorCodes, IssuerError } from '../../lib/core/index.js';
import type { Account } from './account.js';
import type { CertificateIssuer, IssuedCertificate, OrderHooks, OrderRequest, StepRunner } from './port.js';
import { AcmeProblem } from './problem.js';

/** Why one CA's failure sends the order to the next CA of the certificate's list. */
export type FailoverReason = 'outage' | 'rate limit' | 'refused';

/**
 * Problem types that are one CA's decision, which another CA may decide differently: its policy
 * on a name, its CAA check, its account rules. badCSR, badPublicKey and invalidProfile are left
 * out: they come from our configuration, and every CA would refuse the same request.
 */
const REFUSALS: ReadonlySet<string> = new Set(['rejectedIdentifier', 'unsupportedIdentifier', 'caa', 'unauthorized', 'externalAccountRequired', 'userActionRequired', 'accountDoesNotExist']);

/**
 * Whether a failure is the CA's (try the next one) or ours (stop): a CA that cannot be reached,
 * answers 5xx, rate-limits us or refuses the order is the CA's; a failed pre-flight, a validation
 * the CA could not complete (our DNS or responder, which every CA would find the same), S3, ACM or
 * bad configuration are ours, and another CA would only spend its failed-validation limit too.
 */
export function failoverReason(error: unknown): FailoverReason | undefined {
  if (error instanceof IssuerError && error.code !== ErrorCodes.CA_UNAVAILABLE && error.code !== ErrorCodes.ORDER_FAILED) return undefined;
  const problem = problemIn(error);
  if (problem === undefined) return error instanceof IssuerError ? (error.code === ErrorCodes.CA_UNAVAILABLE ? 'outage' : 'refused') : undefined;
  if (problem.kind === 'rateLimited') return 'rate limit';
  if (problem.status >= 500 || problem.kind === 'serverInternal') return 'outage';
  return REFUSALS.has(problem.kind) ? 'refused' : undefined;
}

function problemIn(error: unknown): AcmeProblem | undefined {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) if (at instanceof AcmeProblem) return at;
  return undefined;
}

/** One CA of a certificate's list, with its account made on first use (registration at that CA). */
export interface CaChoice {
  readonly directoryUrl: string;
  readonly account: () => Promise<Account>;
}

/** Told each time the order moves on to the next CA, and when the CA that issued was not the first. */
export interface FailoverReport {
  failedOver(from: string, reason: FailoverReason, error: unknown, to: string): void;
  /** The certificate came from `by` after the CAs before it in the list failed this run. */
  issuedAfterFailover(by: string, failed: readonly string[]): void;
}

/**
 * The certificate's CAs tried in order (CertMagic's issuer list): the first that does not fail
 * for a reason of its own issues. The same account key everywhere, so the responder answers for
 * all of them. Tried from the first on every issuance: a CA that was down last time gets the next
 * renewal back.
 */
export class FailoverIssuer implements Pick<CertificateIssuer, 'issue' | 'resume'> {
  private readonly failed = new Map<string, unknown>();

  constructor(
    private readonly cas: readonly CaChoice[],
    private readonly report: FailoverReport,
  ) {
    if (cas.length === 0) throw new TypeError('FailoverIssuer needs at least one CA');
  }

  /** The account at the first CA that answers: its thumbprint is the pre-flight's probe, its CAA pin and profiles what the order is checked against. */
  async firstAnswering(): Promise<{ readonly directoryUrl: string; readonly account: Account }> {
    return this.along(async (ca) => ({ directoryUrl: ca.directoryUrl, account: await ca.account() }));
  }

  /**
   * `replaces` names a certificate of the CA that issued it (`replacesAt`): only that CA is sent
   * it, another would refuse the unknown CertID.
   */
  async issue(request: OrderRequest, step: StepRunner, hooks?: OrderHooks): Promise<IssuedCertificate & { readonly directoryUrl: string }> {
    return this.along(async (ca) => {
      const { issuer } = await ca.account();
      const replaces = request.replacesAt === undefined || request.replacesAt === ca.directoryUrl ? request.replaces : undefined;
      const issued = await issuer.issue({ ...request, replaces }, step, hooks);
      if (this.failed.size > 0) this.report.issuedAfterFailover(ca.directoryUrl, [...this.failed.keys()]);
      return { ...issued, directoryUrl: ca.directoryUrl };
    });
  }

  /**
   * Finishes an order a crashed run saved, at the list's first CA: issue.ts resumes only an order
   * placed there (the record's CA is the request's first), and never fails it over, since another
   * CA knows nothing of the order.
   */
  async resume(orderUrl: string, request: Pick<OrderRequest, 'domains' | 'profile'> & { readonly privateKeyPem: string }, step: StepRunner): Promise<IssuedCertificate | undefined> {
    const first = this.cas[0]!;
    const issued = await (await first.account()).issuer.resume(orderUrl, request, step);
    return issued === undefined ? undefined : { ...issued, directoryUrl: first.directoryUrl };
  }

  /** Runs `attempt` at each CA in turn until one succeeds or fails for a reason of ours; a CA that failed this run is not asked again. */
  private async along<T>(attempt: (ca: CaChoice) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const [i, ca] of this.cas.entries()) {
      const next = this.cas[i + 1];
      if (this.failed.has(ca.directoryUrl) && next !== undefined) continue;
      try {
        return await attempt(ca);
      } catch (error) {
        const reason = failoverReason(error);
        if (reason === undefined || next === undefined) throw error;
        this.failed.set(ca.directoryUrl, error);
        this.report.failedOver(ca.directoryUrl, reason, error, next.directoryUrl);
        last = error;
      }
    }
    throw last;
  }
}
