import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ChallengeResponder } from './challenge-responder.js';
import type { IssuerTask } from './issuer-task.js';
import { DEFAULT_EXPIRY_ALARM_DAYS } from '../core/events.js';
import { Dimensions, ISSUER_METRIC_FILTERS, IssuerLog, METRIC_NAMESPACE, Metrics, ResponderLog } from '../core/telemetry.js';

/**
 * The metric names the alarms are built on, as docs/operations.md lists them, from the core's one
 * list (lib/core/telemetry.ts) that the runtime writes them with. Every one comes from a metric
 * filter below on a log group, the one metric mechanism: the issuer writes plain JSON metric
 * lines and its `renew-summary` line (the ECS awslogs driver would not extract EMF from them);
 * the responder writes one request line ending in its `Outcome`.
 */
export const METRICS = {
  namespace: METRIC_NAMESPACE,
  ...Metrics,
  certificateDimension: Dimensions.certificate,
  outcomeDimension: Dimensions.outcome,
  responderRequestMessage: ResponderLog.requestMessage,
} as const;

export interface IssuerMonitoringProps {
  readonly issuer: IssuerTask;
  readonly responder: ChallengeResponder;
  /**
   * Longest gap between two scheduled runs (lib/core/schedule-interval.ts).
   * @default Duration.hours(12)
   */
  readonly scheduleInterval?: Duration;
  /**
   * The schedule's flexible window, added to the "did not run" wait.
   * @default Duration.minutes(60)
   */
  readonly scheduleWindow?: Duration;
  /**
   * Alarm when the soonest-expiring certificate has fewer days left than this.
   * @default 14
   */
  readonly expiryDays?: number;
  /**
   * Email address subscribed to the alarm topic (AWS mails a confirmation link first).
   * @default - no subscription; subscribe anything to the topic yourself
   */
  readonly email?: string;
  /**
   * Whether the schedule is on; a paused schedule gets no "did not run" alarm.
   * @default true
   */
  readonly scheduleEnabled?: boolean;
}

/**
 * What tells a person that certificates need attention: alarms on expiry, failed and missing
 * renewal runs, responder errors and crashed issuer tasks, all sent to one SNS topic; and a
 * dashboard of every certificate's days left and the last runs.
 */
export class IssuerMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly expiryAlarm: cloudwatch.Alarm;
  readonly renewalFailedAlarm: cloudwatch.Alarm;
  readonly renewalMissingAlarm: cloudwatch.Alarm | undefined;
  readonly responderErrorsAlarm: cloudwatch.Alarm;
  readonly responder5xxAlarm: cloudwatch.Alarm | undefined;
  readonly eventPublishFailedAlarm: cloudwatch.Alarm;
  readonly taskFailedRule: events.Rule;
  readonly metricFilters: logs.MetricFilter[];

  constructor(scope: Construct, id: string, props: IssuerMonitoringProps) {
    super(scope, id);
    const expiryDays = props.expiryDays ?? DEFAULT_EXPIRY_ALARM_DAYS;
    const interval = props.scheduleInterval ?? Duration.hours(12);
    const window = props.scheduleWindow ?? Duration.minutes(60);
    const problems: string[] = [];
    if (!Number.isInteger(expiryDays) || expiryDays < 1) problems.push('expiryDays must be a positive integer');
    if (interval.toSeconds() < 60) problems.push('scheduleInterval must be at least a minute');
    if (problems.length > 0) throw new Error(`IssuerMonitoring: ${problems.join('; ')}`);

    this.metricFilters = [...this.issuerMetricFilters(props.issuer.logGroup), this.responderMetricFilter(props.responder.logGroup)];

    this.topic = new sns.Topic(this, 'Topic', { displayName: 'ACME issuer alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only alarm names, states and task ids, nothing secret; CloudWatch and EventBridge cannot publish to the AWS-managed SNS key, and a customer-managed key for this would cost more than the rest of the monitoring.',
    });
    if (props.email !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    const notify = new SnsAction(this.topic);
    const alarm = (created: cloudwatch.Alarm): cloudwatch.Alarm => {
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      return created;
    };
    const issuerMetric = (metricName: string, statistic: string, period: Duration, dimensionsMap?: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: METRICS.namespace, metricName, statistic, period, dimensionsMap });

    // Each renew run (twice a day by default) reports each certificate's margin to its own threshold
    // (expiryDays, or a fifth of its lifetime when less: a 6-day certificate is not "expiring" when
    // issued); the issuer gets expiryDays as EXPIRING_EVENT_DAYS. The smallest margin counts.
    this.expiryAlarm = alarm(
      issuerMetric(METRICS.minExpiryMargin, cloudwatch.Stats.MINIMUM, Duration.days(1)).createAlarm(this, 'ExpiryAlarm', {
        alarmName: this.alarmName('certificate-expiry'),
        alarmDescription: `A certificate has fewer than ${expiryDays} days left (a short-lived one: less than a fifth of its lifetime): renewal has not replaced it. Run \`show NAME\` and read the issuer log group.`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No run, no data: the "did not run" alarm speaks for that; this one keeps its last state.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
    );
    this.renewalFailedAlarm = alarm(
      issuerMetric(METRICS.renewalRunFailed, cloudwatch.Stats.SUM, Duration.hours(1)).createAlarm(this, 'RenewalFailedAlarm', {
        alarmName: this.alarmName('renewal-failed'),
        alarmDescription: 'A renew run failed for at least one certificate (the previous certificate stays live). The issuer log group has the error and its hint.',
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    if (props.scheduleEnabled ?? true) {
      // No success within two intervals (plus the jitter window): hourly periods, all of them empty.
      const wait = Math.min(interval.toSeconds() * 2 + window.toSeconds(), 7 * 86_400);
      const hours = Math.max(1, Math.ceil(wait / 3600));
      this.renewalMissingAlarm = alarm(
        issuerMetric(METRICS.renewalRunSucceeded, cloudwatch.Stats.SUM, Duration.hours(1)).createAlarm(this, 'RenewalMissingAlarm', {
          alarmName: this.alarmName('renewal-missing'),
          alarmDescription: `No successful renew run in ${hours} hours (two schedule intervals): the schedule, the task or every run is failing.`,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: hours,
          datapointsToAlarm: hours,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }

    // The certificate was handed over, but a consumer waiting for the event (a reload) was not told.
    this.eventPublishFailedAlarm = alarm(
      issuerMetric(METRICS.eventPublishFailed, cloudwatch.Stats.SUM, Duration.hours(1)).createAlarm(this, 'EventPublishFailedAlarm', {
        alarmName: this.alarmName('event-not-sent'),
        alarmDescription:
          "The issuer could not put a certificate event on EventBridge after retrying (the certificate itself is live): consumers that reload on events have not. The issuer log group's event-not-sent line names the event and the reason.",
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    const fn = props.responder.function;
    this.responderErrorsAlarm = alarm(
      fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'ResponderErrorsAlarm', {
        alarmName: this.alarmName('responder-errors'),
        alarmDescription: 'The challenge responder Lambda threw: validations through it fail. Its log group has the error.',
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    if (props.responder.loadBalancer !== undefined) {
      this.responder5xxAlarm = alarm(
        props.responder.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'Responder5xxAlarm', {
          alarmName: this.alarmName('responder-5xx'),
          alarmDescription: 'The responder answered 5xx through the ALB (503: account/jwk.json missing or unreadable, i.e. not registered yet or S3/KMS denied).',
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // A task that crashes, runs out of memory or exits non-zero reports no metric of its own.
    this.taskFailedRule = new events.Rule(this, 'TaskFailed', {
      description: 'An ACME issuer task stopped with a non-zero exit code',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.issuer.cluster.clusterArn],
          lastStatus: ['STOPPED'],
          containers: { exitCode: [{ 'anything-but': 0 }] },
        },
      },
      targets: [new targets.SnsTopic(this.topic)],
    });

    this.dashboard = this.buildDashboard(props, expiryDays);
  }

  /**
   * The issuer's metrics from its log lines (JSON, one object per line): a filter per entry of
   * ISSUER_METRIC_FILTERS on the metric lines, and the renew runs from the `renew-summary` line.
   * No default value, so a run that did not happen leaves no data point (the "did not run" alarm
   * depends on that).
   */
  private issuerMetricFilters(logGroup: logs.ILogGroup): logs.MetricFilter[] {
    const pattern = logs.FilterPattern;
    const metricLines = ISSUER_METRIC_FILTERS.map(({ metric, valueField, dimensions, unit }) =>
      this.metricFilter(
        `${metric}Filter`,
        logGroup,
        metric,
        // The value field and every dimension field are in the pattern, as CloudWatch requires.
        pattern.all(pattern.stringValue(`$.${IssuerLog.eventField}`, '=', IssuerLog.metricEvent), ...[valueField, ...dimensions].map((field) => pattern.exists(`$.${field}`))),
        `$.${valueField}`,
        unit === 'None' ? cloudwatch.Unit.NONE : cloudwatch.Unit.COUNT,
        dimensions.length === 0 ? undefined : Object.fromEntries(dimensions.map((field) => [field, `$.${field}`])),
      ),
    );
    const renewSummary = pattern.stringValue(`$.${IssuerLog.eventField}`, '=', IssuerLog.renewSummaryEvent);
    const failed = `$.${IssuerLog.failedField}`;
    return [
      ...metricLines,
      this.metricFilter('RenewalRunSucceededFilter', logGroup, METRICS.renewalRunSucceeded, pattern.all(renewSummary, pattern.numberValue(failed, '=', 0)), '1', cloudwatch.Unit.COUNT),
      this.metricFilter('RenewalRunFailedFilter', logGroup, METRICS.renewalRunFailed, pattern.all(renewSummary, pattern.numberValue(failed, '>', 0)), '1', cloudwatch.Unit.COUNT),
    ];
  }

  /** ResponderRequests by Outcome: one per request line of the responder. */
  private responderMetricFilter(logGroup: logs.ILogGroup): logs.MetricFilter {
    const patterns = logs.FilterPattern;
    const outcome = METRICS.outcomeDimension;
    const pattern = patterns.all(patterns.stringValue('$.message', '=', METRICS.responderRequestMessage), patterns.exists(`$.${outcome}`));
    return this.metricFilter('ResponderRequestsFilter', logGroup, METRICS.responderRequests, pattern, '1', cloudwatch.Unit.COUNT, { [outcome]: `$.${outcome}` });
  }

  /** One metric in METRICS' namespace from the lines of a log group; no default value (see issuerMetricFilters). */
  private metricFilter(id: string, logGroup: logs.ILogGroup, metricName: string, pattern: logs.IFilterPattern, metricValue: string, unit: cloudwatch.Unit, dimensions?: Record<string, string>): logs.MetricFilter {
    return new logs.MetricFilter(this, id, { logGroup, filterPattern: pattern, metricNamespace: METRICS.namespace, metricName, metricValue, dimensions, unit });
  }

  /** Fixed names (STACK-what) so the dashboard can list them without Fn::GetAtt, and people can find them. */
  private alarmName(suffix: string): string {
    const name = `${Stack.of(this).stackName}-${suffix}`;
    this.alarmNames.push(name);
    return name;
  }

  private readonly alarmNames: string[] = [];

  private buildDashboard(props: IssuerMonitoringProps, expiryDays: number): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(14) });
    const logGroup = props.issuer.logGroup.logGroupName;
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: this.alarmNames.map((name, index) =>
          cloudwatch.Alarm.fromAlarmArn(this, `AlarmStatus${index}`, Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
        ),
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Days to expiry, per certificate',
        width: 16,
        height: 8,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${METRICS.namespace},${METRICS.certificateDimension}} MetricName="${METRICS.daysToExpiry}"', 'Minimum', 21600)`,
            label: '',
            period: Duration.hours(6),
          }),
        ],
        leftAnnotations: [{ value: expiryDays, label: `alarm: ${expiryDays} days`, color: '#d62728' }],
        leftYAxis: { min: 0 },
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Days left (latest per certificate)',
        width: 8,
        height: 8,
        logGroupNames: [logGroup],
        queryLines: [`filter ispresent(${METRICS.daysToExpiry})`, `stats latest(${METRICS.daysToExpiry}) as daysLeft, latest(notAfter) as expires by ${METRICS.certificateDimension}`, 'sort daysLeft asc'],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Last renew runs',
        width: 12,
        height: 7,
        logGroupNames: [logGroup],
        queryLines: [`filter ${IssuerLog.eventField} = '${IssuerLog.renewSummaryEvent}'`, 'fields @timestamp, runId, certificates, issued, renewed, skipped, failed, locked, totalMs', 'sort @timestamp desc', 'limit 20'],
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Last errors',
        width: 12,
        height: 7,
        logGroupNames: [logGroup],
        queryLines: ["filter level = 'ERROR'", 'fields @timestamp, runId, code, message', 'sort @timestamp desc', 'limit 20'],
      }),
    );
    const count = (metricName: string, label: string, dimensionsMap?: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: METRICS.namespace, metricName, statistic: cloudwatch.Stats.SUM, period: Duration.hours(12), label, dimensionsMap });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Renew runs and issuances',
        width: 8,
        height: 6,
        left: [
          count(METRICS.renewalRunSucceeded, 'runs ok'),
          count(METRICS.renewalRunFailed, 'runs failed'),
          count(METRICS.issuanceSucceeded, 'renewed', { Operation: 'renew' }),
          count(METRICS.issuanceFailed, 'renewal failed', { Operation: 'renew' }),
          count(METRICS.issuanceSucceeded, 'issued by hand', { Operation: 'issue' }),
          count(METRICS.issuanceFailed, 'issue failed', { Operation: 'issue' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Validation failures by cause',
        width: 8,
        height: 6,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${METRICS.namespace},Stage,Cause} MetricName="${METRICS.validationFailures}"', 'Sum', 3600)`,
            label: '',
            period: Duration.hours(1),
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Responder requests by outcome, errors',
        width: 8,
        height: 6,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${METRICS.namespace},Outcome} MetricName="${METRICS.responderRequests}"', 'Sum', 300)`,
            label: '',
            period: Duration.minutes(5),
          }),
        ],
        right: [props.responder.function.metricErrors({ period: Duration.minutes(5), label: 'Lambda errors' })],
      }),
    );
    return dashboard;
  }
}
