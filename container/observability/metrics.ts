import type { Cause } from '../../lib/core/diagnosis.js';
import { expiryAlarmDays } from '../../lib/core/renewal-policy.js';
import { Dimensions, IssuerLog, Metrics } from '../../lib/core/telemetry.js';

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The issuer's metrics as lines of its run (Progress.metric writes them, with JSON output only:
 * a terminal has no CloudWatch behind it). A line carries the value under the metric's name and
 * its dimensions as fields; the stack's metric filters (lib/core/telemetry.ts
 * ISSUER_METRIC_FILTERS) turn it into the metric. Every name is listed in docs/operations.md.
 */
export interface MetricLine {
  readonly name: (typeof Metrics)[keyof typeof Metrics];
  readonly value: number;
  /** Dimensions and searchable properties, written beside the value (a number where a metric filter reads it as a value). */
  readonly fields: Readonly<Record<string, string | number>>;
}

export type Operation = 'issue' | 'renew';
export type ValidationStage = 'preflight' | 'ca';

export const metric = {
  issuanceSucceeded: (operation: Operation, certificateName: string): MetricLine => ({
    name: Metrics.issuanceSucceeded,
    value: 1,
    fields: { [Dimensions.operation]: operation, certificateName },
  }),

  issuanceFailed: (operation: Operation, certificateName: string, errorCode: string): MetricLine => ({
    name: Metrics.issuanceFailed,
    value: 1,
    fields: { [Dimensions.operation]: operation, certificateName, errorCode },
  }),

  /**
   * Days (two decimals) from `now` to the certificate's notAfter, and beside them the margin to its
   * alarm threshold (expiryAlarmDays of its lifetime and EXPIRING_EVENT_DAYS, which the stack sets
   * to DEPLOY_ALARM_EXPIRY_DAYS; that alone when notBefore is not known).
   */
  daysToExpiry: (certificateName: string, notAfter: Date, now: Date, alarm: { readonly notBefore: Date | undefined; readonly configuredDays: number }): MetricLine => {
    const days = (notAfter.getTime() - now.getTime()) / 86_400_000;
    const threshold = alarm.notBefore === undefined ? alarm.configuredDays : expiryAlarmDays({ notBefore: alarm.notBefore, notAfter }, alarm.configuredDays);
    return {
      name: Metrics.daysToExpiry,
      value: round2(days),
      fields: { [Dimensions.certificate]: certificateName, notAfter: notAfter.toISOString(), [IssuerLog.expiryMarginField]: round2(days - threshold), alarmDays: round2(threshold) },
    };
  },

  validationFailure: (stage: ValidationStage, cause: Cause, domain: string): MetricLine => ({
    name: Metrics.validationFailures,
    value: 1,
    fields: { [Dimensions.stage]: stage, [Dimensions.cause]: cause, domain },
  }),

  eventPublishFailed: (detailType: string, certificateName: string): MetricLine => ({
    name: Metrics.eventPublishFailed,
    value: 1,
    fields: { [Dimensions.detailType]: detailType, certificateName },
  }),

  /** The CA moved a certificate's ARI window; `due`: into the past, so it renews now. */
  ariWindowMoved: (certificateName: string, explanationUrl: string | undefined, due: boolean): MetricLine => ({
    name: Metrics.ariWindowMoved,
    value: 1,
    fields: { certificateName, due: String(due), ...(explanationUrl === undefined ? {} : { explanationUrl }) },
  }),

  healthCheckFailed: (check: string): MetricLine => ({
    name: Metrics.healthCheckFailed,
    value: 1,
    fields: { [Dimensions.check]: check },
  }),
} as const;
