/**
 * The names the stack's metric filters, alarms and dashboard read out of the runtime's log lines,
 * in one module that the CDK code (lib/constructs/monitoring.ts), the issuer
 * (container/observability/) and the responder (lambdas/challenge/observability.ts) all import.
 * A renamed field then changes both sides at once instead of silently emptying an alarm.
 * docs/operations.md lists each metric.
 */
export const METRIC_NAMESPACE = 'AcmeOnAws';

/** Metric names. */
export const Metrics = {
  /** Count, dimension Operation (issue | renew): a run that stored a new certificate. */
  issuanceSucceeded: 'IssuanceSucceeded',
  /** Count, dimension Operation: a run that tried to issue and failed (pre-flight, CA, S3, ACM). */
  issuanceFailed: 'IssuanceFailed',
  /** None (days, fractional), dimension CertificateName: days until the live certificate's notAfter. */
  daysToExpiry: 'DaysToExpiry',
  /** None, no dimension: every DaysToExpiry value without its dimension, so Minimum is the soonest expiry. */
  minDaysToExpiry: 'MinDaysToExpiry',
  /**
   * None (days), no dimension: each DaysToExpiry line's days left minus that certificate's own alarm
   * threshold (lib/core/renewal-policy.ts expiryAlarmDays: DEPLOY_ALARM_EXPIRY_DAYS, or a fifth of
   * the lifetime when less); the expiry alarm fires when its Minimum is below 0.
   */
  minExpiryMargin: 'MinExpiryMargin',
  /** Count, dimensions [Stage, Cause]: a name that failed validation (Stage = preflight | ca). */
  validationFailures: 'ValidationFailures',
  /** Count, dimension Check (docs/operations.md lists the checks): a failed `health` check. */
  healthCheckFailed: 'HealthCheckFailed',
  /** Count, no dimension: a renew run whose summary counts no failed certificate. */
  renewalRunSucceeded: 'RenewalRunSucceeded',
  /** Count, no dimension: a renew run with at least one failed certificate. */
  renewalRunFailed: 'RenewalRunFailed',
  /** Count, no dimension (the line names its DetailType): an EventBridge event the issuer could not put after its retries (lib/core/events.ts). */
  eventPublishFailed: 'EventPublishFailed',
  /** Count, no dimension (the line names its certificateName and the CA's explanationUrl): the CA moved a certificate's ARI window (RFC 9773). */
  ariWindowMoved: 'AriWindowMoved',
  /** Count, dimension Outcome: one per responder request line. */
  responderRequests: 'ResponderRequests',
} as const;

/** Dimension names (each is also the field of the log line that carries it). */
export const Dimensions = {
  certificate: 'CertificateName',
  operation: 'Operation',
  stage: 'Stage',
  cause: 'Cause',
  check: 'Check',
  outcome: 'Outcome',
  detailType: 'DetailType',
} as const;

/** Fields and values of the issuer's JSON lines that filters match on. */
export const IssuerLog = {
  /** Every line's kind. */
  eventField: 'event',
  /** A metric line: the value under the metric's name, its dimensions beside it (container/observability/metrics.ts). */
  metricEvent: 'metric',
  /** The last line of a renew run, with its counts. */
  renewSummaryEvent: 'renew-summary',
  /** The renew summary's count of failed certificates (a number). */
  failedField: 'failed',
  /** A DaysToExpiry line's days left minus the certificate's alarm threshold (MinExpiryMargin's value). */
  expiryMarginField: 'ExpiryMargin',
} as const;

/**
 * How the stack makes each issuer metric out of a metric line: one metric filter per entry on the
 * issuer's log group (lib/constructs/monitoring.ts). Metric filters, not EMF: the ECS awslogs
 * driver sends plain lines, which CloudWatch Logs does not extract EMF from, and a filter works on
 * them without a CloudWatch agent sidecar. A filter publishes exactly one dimension set, so the
 * line's other fields (certificateName, errorCode, domain, DetailType) are for Logs Insights only.
 */
export interface IssuerMetricFilter {
  readonly metric: (typeof Metrics)[keyof typeof Metrics];
  /** The metric line's number field the value is read from: the metric's own name, but for MinDaysToExpiry. */
  readonly valueField: string;
  /** Fields of the line that become the metric's dimensions; the filter matches only lines that have them. */
  readonly dimensions: readonly string[];
  readonly unit: 'Count' | 'None';
}

export const ISSUER_METRIC_FILTERS: readonly IssuerMetricFilter[] = [
  { metric: Metrics.daysToExpiry, valueField: Metrics.daysToExpiry, dimensions: [Dimensions.certificate], unit: 'None' },
  // every DaysToExpiry value again without its dimension: its Minimum is the soonest expiry (the expiry alarm)
  { metric: Metrics.minDaysToExpiry, valueField: Metrics.daysToExpiry, dimensions: [], unit: 'None' },
  // the same lines' margin to each certificate's own threshold: the expiry alarm, right for a 6-day certificate and a 90-day one alike
  { metric: Metrics.minExpiryMargin, valueField: IssuerLog.expiryMarginField, dimensions: [], unit: 'None' },
  { metric: Metrics.issuanceSucceeded, valueField: Metrics.issuanceSucceeded, dimensions: [Dimensions.operation], unit: 'Count' },
  { metric: Metrics.issuanceFailed, valueField: Metrics.issuanceFailed, dimensions: [Dimensions.operation], unit: 'Count' },
  { metric: Metrics.validationFailures, valueField: Metrics.validationFailures, dimensions: [Dimensions.stage, Dimensions.cause], unit: 'Count' },
  { metric: Metrics.healthCheckFailed, valueField: Metrics.healthCheckFailed, dimensions: [Dimensions.check], unit: 'Count' },
  // no dimension: the event-not-sent alarm reads the metric as one series whatever the event
  { metric: Metrics.eventPublishFailed, valueField: Metrics.eventPublishFailed, dimensions: [], unit: 'Count' },
  // no dimension: a CA moving windows (a mass revocation) moves many at once; the lines say which and why
  { metric: Metrics.ariWindowMoved, valueField: Metrics.ariWindowMoved, dimensions: [], unit: 'Count' },
];

/** The responder's request line (lambdas/challenge/observability.ts). */
export const ResponderLog = {
  service: 'acme-challenge-responder',
  /** The `message` of the request line: the metric filter matches on it. */
  requestMessage: 'challenge request',
} as const;

/** Outcome dimension values, by the status the responder answered. */
export const ResponderOutcomes = {
  200: 'answered',
  404: 'not-found',
  405: 'method-not-allowed',
  503: 'unavailable',
} as const;
export type ResponderOutcome = (typeof ResponderOutcomes)[keyof typeof ResponderOutcomes] | 'error' | 'other';
