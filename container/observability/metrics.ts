import type { Cause } from '../../lib/core/diagnosis.js';

/**
 * CloudWatch Embedded Metric Format, written as JSON lines on the issuer's stdout next to its
 * other lines (same `time` and `runId`), so one log stream carries both and CloudWatch turns
 * these into metrics. Every name, dimension and unit is listed here and in docs/operations.md;
 * alarms are built on exactly these.
 */
export const METRIC_NAMESPACE = 'AcmeOnAws';

export const IssuerMetrics = {
  /** Count, dimensions [Operation]: a run that stored a new certificate (Operation = issue | renew). */
  ISSUANCE_SUCCEEDED: 'IssuanceSucceeded',
  /** Count, dimensions [Operation]: a run that tried to issue and failed (pre-flight, CA, S3, ACM). */
  ISSUANCE_FAILED: 'IssuanceFailed',
  /** None (days, fractional), dimensions [CertificateName]: days until the live certificate's notAfter. */
  DAYS_TO_EXPIRY: 'DaysToExpiry',
  /** Count, dimensions [Stage] and [Stage, Cause]: a name that failed validation (Stage = preflight | ca). */
  VALIDATION_FAILURES: 'ValidationFailures',
  /** Count, dimensions [Check]: a `health` check that failed (Check = storage | ca-directory | account | responder). */
  HEALTH_CHECK_FAILED: 'HealthCheckFailed',
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
      event: 'metric',
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
    this.put(IssuerMetrics.ISSUANCE_SUCCEEDED, 1, 'Count', { Operation: operation }, [['Operation']], { certificateName });
  }

  issuanceFailed(operation: Operation, certificateName: string, errorCode: string): void {
    this.put(IssuerMetrics.ISSUANCE_FAILED, 1, 'Count', { Operation: operation }, [['Operation']], { certificateName, errorCode });
  }

  daysToExpiry(certificateName: string, notAfter: Date, now: Date): void {
    const days = Math.round(((notAfter.getTime() - now.getTime()) / 86_400_000) * 100) / 100;
    this.put(IssuerMetrics.DAYS_TO_EXPIRY, days, 'None', { CertificateName: certificateName }, [['CertificateName']], { notAfter: notAfter.toISOString() });
  }

  validationFailure(stage: ValidationStage, cause: Cause, domain: string): void {
    this.put(IssuerMetrics.VALIDATION_FAILURES, 1, 'Count', { Stage: stage, Cause: cause }, [['Stage'], ['Stage', 'Cause']], { domain });
  }

  healthCheckFailed(check: string): void {
    this.put(IssuerMetrics.HEALTH_CHECK_FAILED, 1, 'Count', { Check: check }, [['Check']]);
  }
}

/** The sink for a CLI run: same run id as its Progress, metrics only with JSON output. */
export function metricsFor(progress: { readonly runId: string; readonly json: boolean }): MetricsSink {
  return new MetricsSink({ runId: progress.runId, enabled: progress.json });
}
