import type { Cause } from '../../lib/core/diagnosis.js';
import { Dimensions, IssuerLog, METRIC_NAMESPACE, Metrics } from '../../lib/core/telemetry.js';

/**
 * CloudWatch Embedded Metric Format, written as JSON lines on the issuer's stdout next to its
 * other lines (same `time` and `runId`), so one log stream carries both and CloudWatch turns
 * these into metrics. Every name, dimension and unit is listed here and in docs/operations.md;
 * alarms are built on exactly these.
 */
export { METRIC_NAMESPACE };

/** The metrics the issuer writes (names from lib/core/telemetry.ts, where each is described). */
export const IssuerMetrics = {
  ISSUANCE_SUCCEEDED: Metrics.issuanceSucceeded,
  ISSUANCE_FAILED: Metrics.issuanceFailed,
  DAYS_TO_EXPIRY: Metrics.daysToExpiry,
  VALIDATION_FAILURES: Metrics.validationFailures,
  HEALTH_CHECK_FAILED: Metrics.healthCheckFailed,
  EVENT_PUBLISH_FAILED: Metrics.eventPublishFailed,
} as const;

export type Operation = 'issue' | 'renew';
export type ValidationStage = 'preflight' | 'ca';

type Unit = 'Count' | 'None';

export interface MetricsSinkOptions {
  readonly runId: string;
  /** Metrics are only written with JSON output: a terminal has no CloudWatch behind it. */
  readonly enabled: boolean;
  /** @default process.stdout */
  readonly out?: NodeJS.WritableStream;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export class MetricsSink {
  private readonly out: NodeJS.WritableStream;
  private readonly now: () => Date;

  constructor(private readonly options: MetricsSinkOptions) {
    this.out = options.out ?? process.stdout;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * One EMF document for one metric. `dimensionSets` lists which combinations of the dimensions
   * CloudWatch aggregates by; `properties` are searchable in Logs Insights but not dimensions.
   */
  put(
    name: string,
    value: number,
    unit: Unit,
    dimensions: Record<string, string>,
    dimensionSets: readonly (readonly string[])[] = [Object.keys(dimensions)],
    properties: Record<string, unknown> = {},
  ): void {
    if (!this.options.enabled) return;
    const at = this.now();
    const document = {
      time: at.toISOString(),
      runId: this.options.runId,
      level: 'INFO',
      [IssuerLog.eventField]: IssuerLog.metricEvent,
      _aws: {
        Timestamp: at.getTime(),
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: dimensionSets, Metrics: [{ Name: name, Unit: unit }] }],
      },
      ...properties,
      ...dimensions,
      [name]: value,
    };
    this.out.write(`${JSON.stringify(document)}\n`);
  }

  issuanceSucceeded(operation: Operation, certificateName: string): void {
    this.put(IssuerMetrics.ISSUANCE_SUCCEEDED, 1, 'Count', { [Dimensions.operation]: operation }, [[Dimensions.operation]], { certificateName });
  }

  issuanceFailed(operation: Operation, certificateName: string, errorCode: string): void {
    this.put(IssuerMetrics.ISSUANCE_FAILED, 1, 'Count', { [Dimensions.operation]: operation }, [[Dimensions.operation]], { certificateName, errorCode });
  }

  daysToExpiry(certificateName: string, notAfter: Date, now: Date): void {
    const days = Math.round(((notAfter.getTime() - now.getTime()) / 86_400_000) * 100) / 100;
    this.put(IssuerMetrics.DAYS_TO_EXPIRY, days, 'None', { [Dimensions.certificate]: certificateName }, [[Dimensions.certificate]], { notAfter: notAfter.toISOString() });
  }

  validationFailure(stage: ValidationStage, cause: Cause, domain: string): void {
    this.put(IssuerMetrics.VALIDATION_FAILURES, 1, 'Count', { [Dimensions.stage]: stage, [Dimensions.cause]: cause }, [[Dimensions.stage], [Dimensions.stage, Dimensions.cause]], { domain });
  }

  eventPublishFailed(detailType: string, certificateName: string): void {
    this.put(IssuerMetrics.EVENT_PUBLISH_FAILED, 1, 'Count', { [Dimensions.detailType]: detailType }, [[Dimensions.detailType]], { certificateName });
  }

  healthCheckFailed(check: string): void {
    this.put(IssuerMetrics.HEALTH_CHECK_FAILED, 1, 'Count', { [Dimensions.check]: check }, [[Dimensions.check]]);
  }
}

/** The sink for a CLI run: same run id as its Progress, metrics only with JSON output. */
export function metricsFor(progress: { readonly runId: string; readonly json: boolean }): MetricsSink {
  return new MetricsSink({ runId: progress.runId, enabled: progress.json });
}
