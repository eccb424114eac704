import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { API_ENV } from '../core/api-config.js';
import type { CertificateStore } from './certificate-store.js';
import { ISSUER_CONTAINER_NAME, type IssuerTask } from './issuer-task.js';
import { LAMBDA_BUNDLING } from './lambda-bundling.js';
import { LOG_WRITE_ACTIONS } from './perms.js';
import { repoPath } from './repo.js';

export interface CertificateApiProps {
  readonly store: CertificateStore;
  /** The issuer task the API starts (RunTask with the renewal schedule's input). */
  readonly task: IssuerTask;
  /**
   * IAM ARNs that may change or delete any certificate (roles count for their sessions).
   * @default - none: only each certificate's owner
   */
  readonly admins?: readonly string[];
  /**
   * Where the error alarms go.
   * @default - alarms without actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The certificate API (lambdas/api): a Node 24 function behind a function URL with AWS_IAM auth
 * (no cost while idle; docs/api.md says why not an HTTP API). Its role may read the records and
 * public live objects, write declarations and start the issuer task: nothing else.
 */
export class CertificateApi extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly url: lambda.FunctionUrl;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly errorsAlarm: cloudwatch.Alarm;
  readonly serverErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CertificateApiProps) {
    super(scope, id);
    const admins = props.admins ?? [];
    const bad = admins.filter((arn) => !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/.test(arn));
    if (bad.length > 0) throw new Error(`CertificateApi: admins must be IAM ARNs, got ${bad.map((a) => `"${a}"`).join(', ')}`);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ACME certificate API: reads records, writes declarations, starts the issuer task',
    });
    iam.Grant.addToPrincipal({ grantee: this.role, actions: [...LOG_WRITE_ACTIONS], resourceArns: [this.logGroup.logGroupArn] });
    props.store.grantApi(this.role);
    props.task.grantRun(this.role);

    const environment: Record<string, string> = {
      CERT_BUCKET: props.store.bucket.bucketName,
      CERT_KMS_KEY_ID: props.store.key.keyArn,
      [API_ENV.cluster]: props.task.cluster.clusterArn,
      [API_ENV.taskDefinition]: props.task.taskDefinition.taskDefinitionArn,
      [API_ENV.container]: ISSUER_CONTAINER_NAME,
      [API_ENV.subnets]: Fn.join(',', props.task.subnetIds),
      [API_ENV.securityGroups]: props.task.securityGroup.securityGroupId,
      [API_ENV.assignPublicIp]: String(props.task.assignPublicIp),
      ...(admins.length === 0 ? {} : { [API_ENV.admins]: admins.join(',') }),
    };
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: repoPath('lambdas/api/handler.ts'),
      handler: 'handler',
      projectRoot: repoPath('.'),
      depsLockFilePath: repoPath('package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(15),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: 'Certificate API: declarations in S3, issuance in the issuer task',
      environment,
      bundling: LAMBDA_BUNDLING,
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    const notify = props.alarmTopic === undefined ? undefined : new SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (notify !== undefined) created.addAlarmAction(notify);
      return created;
    };
    this.errorsAlarm = alarm('ErrorsAlarm', this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 'The certificate API function failed (Errors): its log has the cause');
    this.serverErrorsAlarm = alarm(
      'ServerErrorsAlarm',
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'Url5xxCount', dimensionsMap: { FunctionName: this.function.functionName }, period: Duration.minutes(5), statistic: 'Sum' }),
      'The certificate API answered 5xx (store or ECS unreachable, a damaged object, a bug): its log has the cause',
    );
  }
}
