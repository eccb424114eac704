import { diagnoseCaProblem } from '../../lib/core/diagnosis.js';
import { ValidationError } from '../acme/order.js';
import { DEFAULT_EXPIRY_ALARM_DAYS, IssuerError } from '../../lib/core/index.js';
import type { Progress } from '../progress.js';
import { metric, type Operation } from './metrics.js';

/** The facts of a stored certificate this needs (IssueOutcome has them). */
interface Issued {
  readonly published: { readonly info: { readonly notBefore: Date; readonly notAfter: Date } };
}

/**
 * Runs one issuance or renewal of a certificate and reports its result as metrics:
 * IssuanceSucceeded + DaysToExpiry, or IssuanceFailed (+ ValidationFailures Stage=ca per name
 * the CA refused, with the cause). Pre-flight failures already counted their own names.
 */
export async function observeIssuance<T extends Issued>(
  progress: Pick<Progress, 'metric'>,
  operation: Operation,
  certificateName: string,
  run: () => Promise<T>,
  now: () => Date = () => new Date(),
  alarmDays = DEFAULT_EXPIRY_ALARM_DAYS,
): Promise<T> {
  let outcome: T;
  try {
    outcome = await run();
  } catch (error) {
    if (error instanceof ValidationError) {
      for (const failure of error.failures) progress.metric(metric.validationFailure('ca', diagnoseCaProblem(failure).cause, failure.domain));
    }
    const code = error instanceof IssuerError ? error.code : 'ERR_INTERNAL';
    progress.metric(metric.issuanceFailed(operation, certificateName, code));
    throw error;
  }
  progress.metric(metric.issuanceSucceeded(operation, certificateName));
  progress.metric(metric.daysToExpiry(certificateName, outcome.published.info.notAfter, now(), { notBefore: outcome.published.info.notBefore, configuredDays: alarmDays }));
  return outcome;
}
