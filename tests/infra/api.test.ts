// The certificate API in the stack: a Node 24 function behind a function URL with AWS_IAM auth,
// its role exactly what the API needs (declarations written, records and public live objects
// read, the issuer task run with its two roles passed: no private key, no ACM, nothing else),
// its error alarms on the alarm topic, cdk-nag clean (synthesize throws on a finding), off with
// DEPLOY_API=false. The function's environment is the one lib/core/api-config.ts reads.
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ENV, parseApiConfig } from '../../lib/core/api-config.js';
import { asArray, logicalId, only, resourcesOfType, statementsOfRole, synthesize, type Synthesized } from './synth.js';

const ADMIN = 'arn:aws:iam::123456789012:role/platform';
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ DEPLOY_API_ADMINS: ADMIN });
}, 240_000);

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('the certificate API in the stack', () => {
  it('is a Node 24 function behind a function URL with AWS_IAM auth, its URL an output', () => {
    const api = synth.stack.api!;
    const fn = synth.json.Resources[logicalId(synth, api.function)]!;
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    const [, url] = only(resourcesOfType(synth.json, 'AWS::Lambda::Url'));
    expect(url.Properties).toMatchObject({ AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [logicalId(synth, api.function), 'Arn'] } });
    expect(synth.json.Outputs?.ApiUrl?.Value).toEqual({ 'Fn::GetAtt': [logicalId(synth, api.url), 'FunctionUrl'] });
  });

  it('hands the function the variables the API reads (one list: API_ENV), the administrators included', () => {
    const env = synth.json.Resources[logicalId(synth, synth.stack.api!.function)]!.Properties.Environment.Variables as Record<string, unknown>;
    for (const name of Object.values(API_ENV)) expect(Object.keys(env)).toContain(name);
    expect(env[API_ENV.admins]).toBe(ADMIN);
    expect(env[API_ENV.container]).toBe('issuer');
    // What the template resolves at deploy time, replaced by sample values: the API parses it.
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : k === 'CERT_BUCKET' ? 'bucket-name' : 'x']));
    expect(parseApiConfig(resolved).admins).toEqual([ADMIN]);
  });

  it('role: declared/ written, renewal/, declared/ and the live pointer and fullchain read, the issuer task run: nothing else, never a private key', () => {
    const statements = statementsOfRole(synth.json, logicalId(synth, synth.stack.api!.role));
    const actions = statements.flatMap((s) => asArray(s.Action as string | string[])).sort();
    expect([...new Set(actions)]).toEqual([
      'ecs:RunTask',
      'iam:PassRole',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const bucketId = logicalId(synth, synth.stack.store.bucket);
    const object = (key: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${key}`]] });
    const get = only(statements.filter((s) => asArray(s.Action).includes('s3:GetObject')));
    expect(asArray(get.Resource).sort(byJson)).toEqual([object('renewal/*'), object('declared/*'), object('live/*/metadata.json'), object('live/*/fullchain.pem')].sort(byJson));
    for (const resource of asArray(get.Resource)) expect(JSON.stringify(resource)).not.toMatch(/privkey|bundle|archive|account/);
    const write = only(statements.filter((s) => asArray(s.Action).includes('s3:PutObject')));
    expect(write.Resource).toEqual(object('declared/*'));
    const run = only(statements.filter((s) => asArray(s.Action).includes('ecs:RunTask')));
    expect(run.Resource).toEqual({ Ref: logicalId(synth, synth.stack.issuer.taskDefinition) });
    expect(run.Condition).toEqual({ ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [logicalId(synth, synth.stack.issuer.cluster), 'Arn'] } } });
    const pass = only(statements.filter((s) => asArray(s.Action).includes('iam:PassRole')));
    expect(asArray(pass.Resource)).toHaveLength(2);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    const kms = only(statements.filter((s) => asArray(s.Action).includes('kms:Decrypt')));
    expect(Object.keys(kms.Condition.StringEquals)).toEqual(['kms:ViaService']);
  });

  it('alarms on its errors (Errors and Url5xxCount) to the alarm topic', () => {
    const alarms = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('Api'));
    expect(alarms.map(([, a]) => a.Properties.MetricName).sort()).toEqual(['Errors', 'Url5xxCount']);
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(synth, synth.stack.monitoring.topic) }]);
  });

  it('is left out with DEPLOY_API=false, and bad administrators are refused by name', () => {
    const off = synthesize({ DEPLOY_API: 'false' });
    expect(off.stack.api).toBeUndefined();
    expect(resourcesOfType(off.json, 'AWS::Lambda::Url')).toEqual([]);
    expect(() => synthesize({ DEPLOY_API_ADMINS: 'platform-team' })).toThrow(/DEPLOY_API_ADMINS: "platform-team" is not an IAM ARN/);
  });
});
