import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LambdaTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CHALLENGE_PATH_PREFIX } from '../core/token.js';
import type { CertificateStore } from './certificate-store.js';
import { LAMBDA_BUNDLING } from './lambda-bundling.js';
import { LOG_WRITE_ACTIONS } from './perms.js';
import { repoPath } from './repo.js';

/** The path pattern ALB forwards to the responder: exactly what HTTP-01 validates. */
export const CHALLENGE_PATH_PATTERN = `${CHALLENGE_PATH_PREFIX}*`;

export interface ExistingListenerRule {
  /** ARN of an existing ALB listener on port 80 that the challenge rule is added to. */
  readonly listenerArn: string;
  /** A priority that is free on that listener (1 is evaluated first). */
  readonly priority: number;
}

export interface ChallengeResponderProps {
  /** The store holding account/jwk.json; the function may read that object and nothing else. */
  readonly store: CertificateStore;
  /**
   * VPC for the ALB. Required unless `existingListener` is given.
   * @default - none
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets for the internet-facing ALB (public, at least two AZs).
   * @default - the VPC's public subnets
   */
  readonly albSubnets?: ec2.SubnetSelection;
  /**
   * Add the challenge rule to this listener instead of creating an ALB (no ALB cost).
   * @default - an ALB with a :80 listener is created
   */
  readonly existingListener?: ExistingListenerRule;
  /**
   * ACM certificate for an HTTPS listener on the created ALB. When set, :80 redirects every
   * other path to HTTPS (the challenge path still answers on :80, as HTTP-01 requires).
   * @default - HTTP only; :80's default action is a fixed 404
   */
  readonly httpsCertificateArn?: string;
  /**
   * Responder source entry (exports `handler`).
   * @default lambdas/challenge/handler.ts
   */
  readonly entry?: string;
  /**
   * Seconds a computed thumbprint is trusted before account/jwk.json is read again.
   * @default 300
   */
  readonly jwkRefreshSeconds?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Concurrent executions reserved for the function, which are also its ceiling: a flood of
   * challenge paths is throttled at this many instead of taking the account's concurrency. AWS
   * refuses a reservation that leaves fewer than 100 unreserved executions in the account.
   * @default - no reservation (the stack passes DEPLOY_RESPONDER_RESERVED_CONCURRENCY, default 20)
   */
  readonly reservedConcurrency?: number;
  /**
   * Priority of the challenge rule on the created ALB's :80 listener.
   * @default 10
   */
  readonly rulePriority?: number;
}

/**
 * The HTTP-01 responder: a NodejsFunction (arm64, bundled locally by esbuild) behind an ALB rule
 * for `/.well-known/acme-challenge/*` on :80. It holds no challenge state; it reads the public JWK.
 */
export class ChallengeResponder extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer | undefined;
  readonly httpListener: elbv2.ApplicationListener | undefined;
  readonly httpsListener: elbv2.ApplicationListener | undefined;

  constructor(scope: Construct, id: string, props: ChallengeResponderProps) {
    super(scope, id);
    const problems: string[] = [];
    if (props.existingListener === undefined && props.vpc === undefined) problems.push('vpc is required when no existingListener is given');
    if (props.reservedConcurrency !== undefined && !(Number.isInteger(props.reservedConcurrency) && props.reservedConcurrency >= 1)) {
      problems.push(`reservedConcurrency must be a whole number of at least 1 (got ${props.reservedConcurrency}); 0 would stop the function, leave it unset for no reservation`);
    }
    if (props.existingListener !== undefined && props.httpsCertificateArn !== undefined) {
      problems.push('httpsCertificateArn applies only to the ALB this construct creates, not to an existingListener');
    }
    const priority = props.existingListener?.priority ?? props.rulePriority ?? 10;
    if (!Number.isInteger(priority) || priority < 1 || priority > 50000) problems.push(`rule priority ${priority} must be an integer from 1 to 50000`);
    const refresh = props.jwkRefreshSeconds ?? 300;
    if (!Number.isInteger(refresh) || refresh < 0) problems.push('jwkRefreshSeconds must be a non-negative integer');
    if (problems.length > 0) throw new Error(`ChallengeResponder: ${problems.join('; ')}`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs to this group, the JWK, nothing else.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ACME challenge responder: reads account/jwk.json and writes its own logs',
    });
    iam.Grant.addToPrincipal({ grantee: this.role, actions: [...LOG_WRITE_ACTIONS], resourceArns: [this.logGroup.logGroupArn] });
    props.store.grantReadPublicJwk(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry ?? repoPath('lambdas/challenge/handler.ts'),
      handler: 'handler',
      projectRoot: repoPath('.'),
      depsLockFilePath: repoPath('package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: 'Answers ACME HTTP-01 challenges from the account public JWK',
      environment: {
        CERT_BUCKET: props.store.bucket.bucketName,
        JWK_REFRESH_SECONDS: String(refresh),
      },
      bundling: LAMBDA_BUNDLING,
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Target', {
      targetType: elbv2.TargetType.LAMBDA,
      targets: [new LambdaTarget(this.function)],
    });
    // One value per header, as the handler expects.
    this.targetGroup.setAttribute('lambda.multi_value_headers.enabled', 'false');

    const pathCondition = elbv2.ListenerCondition.pathPatterns([CHALLENGE_PATH_PATTERN]);
    if (props.existingListener !== undefined) {
      // L1 on purpose: importing a listener in the L2 API demands its security group, which we never touch.
      new elbv2.CfnListenerRule(this, 'ChallengeRule', {
        listenerArn: props.existingListener.listenerArn,
        priority,
        conditions: [{ field: 'path-pattern', pathPatternConfig: { values: [CHALLENGE_PATH_PATTERN] } }],
        actions: [{ type: 'forward', targetGroupArn: this.targetGroup.targetGroupArn }],
      });
      return;
    }

    const vpc = props.vpc as ec2.IVpc;
    const securityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc,
      description: 'ACME responder ALB: HTTP from anywhere (CAs validate from undisclosed addresses)',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP-01 validation from any CA vantage point');
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      vpcSubnets: props.albSubnets ?? { subnetType: ec2.SubnetType.PUBLIC },
      internetFacing: true,
      securityGroup,
      dropInvalidHeaderFields: true,
    });
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'HTTP-01 validation comes from the CA over the internet from addresses it does not publish; :80 (and :443 when enabled) must be open to 0.0.0.0/0.',
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'The ALB only forwards challenge requests to the Lambda, whose JSON logs record each one; ALB access logs would add a bucket and cost without new information.',
    });

    if (props.httpsCertificateArn !== undefined) {
      securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS for the applications behind this ALB');
      this.httpsListener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.httpsCertificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
      });
    }
    this.httpListener = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction:
        props.httpsCertificateArn !== undefined
          ? elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true })
          : elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
    });
    this.httpListener.addTargetGroups('Challenge', { priority, conditions: [pathCondition], targetGroups: [this.targetGroup] });
  }
}
