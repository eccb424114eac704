import { describe, expect, it } from 'vitest';
import type { IConstruct } from 'constructs';
import { METRICS } from '../../lib/constructs/monitoring.js';
import { Writable } from 'node:stream';
import { metric } from '../../container/observability/metrics.js';
import { Progress } from '../../container/progress.js';
import { ISSUER_METRIC_FILTERS, Metrics } from '../../lib/core/telemetry.js';
import middy from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { requestLog } from '../../lambdas/challenge/observability.js';
import { albEvent } from '../support/alb-events.js';
import { capturedLines } from '../support/process-output.js';
import { CAUSES } from '../../lib/core/diagnosis.js';
import { logicalId, only, resourcesOfType, synthesize } from './synth.js';
import type { Synthesized } from './synth.js';

function alarmsBy(synth: Synthesized, metricName: string): any[] {
  return resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm')
    .map(([, alarm]) => alarm.Properties)
    .filter((p) => p.MetricName === metricName);
}

describe('alarms (defaults)', () => {
  const synth = synthesize({});
  const topicId = () => logicalId(synth, synth.stack.monitoring.topic);
  const actions = () => [{ Ref: topicId() }];

  it("alarms when a certificate has fewer than 14 days left, or less than a fifth of its lifetime (each line's margin to its own threshold)", () => {
    expect(alarmsBy(synth, 'MinDaysToExpiry')).toEqual([]);
    expect(only(alarmsBy(synth, 'MinExpiryMargin'))).toMatchObject({
      Namespace: 'AcmeOnAws',
      Statistic: 'Minimum',
      Period: 86400,
      Threshold: 0,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
      AlarmActions: actions(),
      OKActions: actions(),
    });
  });

  it('alarms on a failed renew run, and on no successful run within two 12-hour intervals plus the window', () => {
    expect(only(alarmsBy(synth, 'RenewalRunFailed'))).toMatchObject({
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: actions(),
    });
    const missing = only(alarmsBy(synth, 'RenewalRunSucceeded'));
    expect(missing).toMatchObject({
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 25,
      DatapointsToAlarm: 25,
      TreatMissingData: 'breaching',
      AlarmActions: actions(),
    });
    expect(missing.Dimensions).toBeUndefined();
  });

  it('alarms on responder Lambda errors and on 5xx from its target group', () => {
    const responderFunction = { Ref: logicalId(synth, synth.stack.responder.function) };
    expect(only(alarmsBy(synth, 'Errors').filter((a: { Dimensions: { Value: unknown }[] }) => JSON.stringify(a.Dimensions[0]?.Value) === JSON.stringify(responderFunction)))).toMatchObject({
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(synth, synth.stack.responder.function) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      AlarmActions: actions(),
    });
    const target5xx = only(alarmsBy(synth, 'HTTPCode_Target_5XX_Count'));
    expect(target5xx).toMatchObject({ Namespace: 'AWS/ApplicationELB', Statistic: 'Sum', Threshold: 1, AlarmActions: actions() });
    expect(target5xx.Dimensions.map((d: { Name: string }) => d.Name).sort()).toEqual(['LoadBalancer', 'TargetGroup']);
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', 8); // with EventPublishFailed (tests/infra/events.test.ts) and the API's two (tests/infra/api.test.ts)
  });

  it('sends a stopped issuer task with a non-zero exit code to the topic', () => {
    const [, rule] = only(resourcesOfType(synth.json, 'AWS::Events::Rule'));
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [{ 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.cluster), 'Arn'] }],
        lastStatus: ['STOPPED'],
        containers: { exitCode: [{ 'anything-but': 0 }] },
      },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { Ref: topicId() } })]);
  });

  it('has a TLS-only topic with no subscription unless an email is configured', () => {
    synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
    const [, policy] = only(resourcesOfType(synth.json, 'AWS::SNS::TopicPolicy'));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(synth.json.Outputs!['AlarmTopicArn']!.Value).toEqual({ Ref: topicId() });
  });

  it("has a dashboard with every certificate's days left and the last runs", () => {
    const [, dashboard] = only(resourcesOfType(synth.json, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toMatch(/SEARCH\('\{AcmeOnAws,CertificateName\} MetricName=\W+DaysToExpiry\W+, 'Minimum'/);
    expect(body).toContain("filter event = 'renew-summary'");
    expect(body).toContain('stats latest(DaysToExpiry) as daysLeft');
    expect(body).toContain('ResponderRequests');
  });
});

describe('metrics from the log groups', () => {
  const synth = synthesize({});
  /** The metric filters on one log group, by metric name. */
  const filtersOf = (logGroup: IConstruct) =>
    Object.fromEntries(
      resourcesOfType(synth.json, 'AWS::Logs::MetricFilter')
        .filter(([, f]) => JSON.stringify(f.Properties.LogGroupName) === JSON.stringify({ Ref: logicalId(synth, logGroup) }))
        .map(([, f]) => {
          const t = f.Properties.MetricTransformations[0];
          expect(t.MetricNamespace).toBe('AcmeOnAws');
          expect(t.DefaultValue).toBeUndefined();
          return [t.MetricName, { pattern: f.Properties.FilterPattern, value: t.MetricValue, dimensions: t.Dimensions }];
        }),
    );

  it("has a filter on the issuer's and the responder's log groups, and nowhere else", () => {
    const ids = [synth.stack.issuer.logGroup, synth.stack.responder.logGroup].map((group) => ({ Ref: logicalId(synth, group) }));
    for (const [, f] of resourcesOfType(synth.json, 'AWS::Logs::MetricFilter')) expect(ids).toContainEqual(f.Properties.LogGroupName);
  });

  it('counts each responder request line as ResponderRequests by Outcome (one line per request, no EMF block)', () => {
    expect(filtersOf(synth.stack.responder.logGroup)).toEqual({
      ResponderRequests: {
        pattern: '{ ($.message = "challenge request") && ($.Outcome = "*") }',
        value: '1',
        dimensions: [{ Key: 'Outcome', Value: '$.Outcome' }],
      },
    });
  });

  it("turns the issuer's JSON lines into every metric docs/operations.md lists, by metric filters (the awslogs driver does not extract EMF)", () => {
    const filters = filtersOf(synth.stack.issuer.logGroup);
    expect(filters).toEqual({
      DaysToExpiry: {
        pattern: '{ ($.event = "metric") && ($.DaysToExpiry = "*") && ($.CertificateName = "*") }',
        value: '$.DaysToExpiry',
        dimensions: [{ Key: 'CertificateName', Value: '$.CertificateName' }],
      },
      MinDaysToExpiry: { pattern: '{ ($.event = "metric") && ($.DaysToExpiry = "*") }', value: '$.DaysToExpiry', dimensions: undefined },
      MinExpiryMargin: { pattern: '{ ($.event = "metric") && ($.ExpiryMargin = "*") }', value: '$.ExpiryMargin', dimensions: undefined },
      IssuanceSucceeded: {
        pattern: '{ ($.event = "metric") && ($.IssuanceSucceeded = "*") && ($.Operation = "*") }',
        value: '$.IssuanceSucceeded',
        dimensions: [{ Key: 'Operation', Value: '$.Operation' }],
      },
      IssuanceFailed: {
        pattern: '{ ($.event = "metric") && ($.IssuanceFailed = "*") && ($.Operation = "*") }',
        value: '$.IssuanceFailed',
        dimensions: [{ Key: 'Operation', Value: '$.Operation' }],
      },
      ValidationFailures: {
        pattern: '{ ($.event = "metric") && ($.ValidationFailures = "*") && ($.Stage = "*") && ($.Cause = "*") }',
        value: '$.ValidationFailures',
        dimensions: [
          { Key: 'Stage', Value: '$.Stage' },
          { Key: 'Cause', Value: '$.Cause' },
        ],
      },
      HealthCheckFailed: {
        pattern: '{ ($.event = "metric") && ($.HealthCheckFailed = "*") && ($.Check = "*") }',
        value: '$.HealthCheckFailed',
        dimensions: [{ Key: 'Check', Value: '$.Check' }],
      },
      EventPublishFailed: { pattern: '{ ($.event = "metric") && ($.EventPublishFailed = "*") }', value: '$.EventPublishFailed', dimensions: undefined },
      AriWindowMoved: { pattern: '{ ($.event = "metric") && ($.AriWindowMoved = "*") }', value: '$.AriWindowMoved', dimensions: undefined },
      RenewalRunSucceeded: { pattern: '{ ($.event = "renew-summary") && ($.failed = 0) }', value: '1', dimensions: undefined },
      RenewalRunFailed: { pattern: '{ ($.event = "renew-summary") && ($.failed > 0) }', value: '1', dimensions: undefined },
    });
  });
});

describe('alarm options', () => {
  const synth = synthesize({ DEPLOY_ALARM_EMAIL: 'ops@example.com', DEPLOY_ALARM_EXPIRY_DAYS: '21', DEPLOY_SCHEDULE: 'rate(6 hours)', DEPLOY_SCHEDULE_WINDOW_MINUTES: '0' });

  it('subscribes the email, uses the threshold and derives the "did not run" wait from the schedule', () => {
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    expect(only(alarmsBy(synth, 'MinExpiryMargin')).AlarmDescription).toMatch(/^A certificate has fewer than 21 days left/);
    expect(only(alarmsBy(synth, 'RenewalRunSucceeded'))).toMatchObject({ EvaluationPeriods: 12, DatapointsToAlarm: 12 });
  });

  it('has no "did not run" alarm while the schedule is paused, and no 5xx alarm without an ALB of its own', () => {
    const paused = synthesize({
      DEPLOY_SCHEDULE_ENABLED: 'false',
      DEPLOY_ALB_LISTENER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/0123456789abcdef/fedcba9876543210',
      DEPLOY_ALB_RULE_PRIORITY: '5',
    });
    expect(alarmsBy(paused, 'RenewalRunSucceeded')).toEqual([]);
    expect(alarmsBy(paused, 'HTTPCode_Target_5XX_Count')).toEqual([]);
    expect(alarmsBy(paused, 'RenewalRunFailed')).toHaveLength(1);
  });
});

describe('the metric filters match the lines the runtime writes', () => {
  // The names come from one module (lib/core/telemetry.ts); these check the lines really carry
  // every field each filter's pattern and value name, written by the real code.
  it("the responder's request line has the message and the Outcome the filter reads", async () => {
    const handler = middy<ALBEvent, ALBResult>(() => Promise.resolve({ statusCode: 404, body: '' })).use(requestLog());
    const [text] = await capturedLines(() => handler(albEvent('GET', '/'), {} as never));
    const line = JSON.parse(text!) as Record<string, unknown>;
    expect(line.message).toBe(METRICS.responderRequestMessage);
    expect(line[METRICS.outcomeDimension]).toBe('not-found');
  });

  it("the issuer's metric lines have the event, the value and every dimension their filter reads, and no EMF block", () => {
    let text = '';
    const out = new Writable({
      write: (chunk, _encoding, done) => {
        text += String(chunk);
        done();
      },
    });
    const progress = new Progress(true, out);
    progress.metric(metric.daysToExpiry('shop', new Date('2027-01-10T00:00:00Z'), new Date('2027-01-01T00:00:00Z'), { notBefore: new Date('2026-12-01T00:00:00Z'), configuredDays: 14 }));
    progress.metric(metric.issuanceSucceeded('renew', 'shop'));
    progress.metric(metric.issuanceFailed('issue', 'shop', 'ERR_CA_UNAVAILABLE'));
    progress.metric(metric.validationFailure('ca', CAUSES[0]!, 'shop.example.com'));
    progress.metric(metric.healthCheckFailed('account'));
    progress.metric(metric.eventPublishFailed('Certificate Renewed', 'shop'));
    progress.metric(metric.ariWindowMoved('shop', 'https://example.com/incident', true));
    const documents = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const filters = resourcesOfType(synthesize({}).json, 'AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties);
    const written = new Set<string>();
    for (const document of documents) {
      expect(document).toMatchObject({ event: 'metric', level: 'INFO', runId: progress.runId });
      expect(document._aws).toBeUndefined();
      for (const spec of ISSUER_METRIC_FILTERS.filter((f) => typeof document[f.valueField] === 'number' && f.dimensions.every((d) => d in document))) {
        const filter = filters.find((properties) => properties.MetricTransformations[0].MetricName === spec.metric);
        expect(filter, spec.metric).toBeDefined();
        const transformation = filter.MetricTransformations[0];
        expect(transformation.MetricNamespace).toBe(METRICS.namespace);
        expect(document[transformation.MetricValue.replace(/^\$\./, '')]).toBeTypeOf('number');
        for (const dimension of transformation.Dimensions ?? []) expect(document[dimension.Value.replace(/^\$\./, '')], dimension.Key).toBeTypeOf('string');
        for (const field of [...(filter.FilterPattern as string).matchAll(/\$\.(\w+)/g)].map((match) => match[1]!)) expect(document, `${spec.metric}: ${field}`).toHaveProperty(field);
        written.add(spec.metric);
      }
    }
    // every issuer metric (all but the responder's and the renew summary's) comes out of some line
    const fromSummary: string[] = [Metrics.renewalRunSucceeded, Metrics.renewalRunFailed, Metrics.responderRequests];
    expect([...written].sort()).toEqual(
      Object.values(Metrics)
        .filter((name) => !fromSummary.includes(name))
        .sort(),
    );
  });

  it('writes metric lines only with JSON output (a terminal has no CloudWatch behind it)', () => {
    let text = '';
    const out = new Writable({
      write: (chunk, _encoding, done) => {
        text += String(chunk);
        done();
      },
    });
    new Progress(false, out).metric(metric.healthCheckFailed('account'));
    expect(text).toBe('');
  });
});
