// Asks the deployed responder the question a CA asks: its code and configuration (from
// deployed-responder.ts) run under the Lambda Runtime Interface Emulator with aws-lambda-ric on the
// Node release of its runtime, and get the ALB event for GET /.well-known/acme-challenge/<token>
// built exactly as the local ALB adapter builds events (scripts/local/alb-event.ts) for the
// stack's :80 listener and target group. The answer must be 200 with `<token>.<thumbprint>`, the
// thumbprint computed here with jose from the JWK we put into the bucket, not by our code.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { ALBEvent } from 'aws-lambda';
import { calculateJwkThumbprint } from 'jose';
import { albEventBuilder } from '../local/alb-event.js';
import { startLambdaFunction, type LambdaFunctionOptions } from '../local/lambda-runtime.js';
import type { DeployedResponder } from './deployed-responder.js';

/** The runtimes we can run the code on (the Node release each Lambda runtime is). */
const SUPPORTED_RUNTIMES = ['nodejs24.x'] as const;

export interface ResponderAnswer {
  readonly token: string;
  readonly event: ALBEvent;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly expected: string;
  readonly ok: boolean;
}

/** Where the function runs: moto's endpoint and region, and the credentials Lambda would hand it. */
export interface LocalAws {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The deployed function's settings as Lambda applies them, for the emulator (scripts/local/lambda-runtime.ts). */
export function functionOptions(responder: DeployedResponder, aws: LocalAws): LambdaFunctionOptions {
  return {
    codeDir: responder.codeDir,
    handler: responder.handler,
    // the function's own variables, and the one Lambda would not set: its S3 is moto
    environment: { ...responder.environment, AWS_ENDPOINT_URL: aws.endpoint },
    functionName: responder.functionName,
    ...(responder.memorySize === undefined ? {} : { memorySizeMb: responder.memorySize }),
    ...(responder.timeoutSeconds === undefined ? {} : { timeoutSeconds: responder.timeoutSeconds }),
    logFormat: responder.logFormat.toUpperCase() === 'JSON' ? 'JSON' : 'Text',
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  };
}

export function challengeEvent(responder: DeployedResponder, token: string): ALBEvent {
  const build = albEventBuilder({ port: 80, targetGroupArn: responder.targetGroupArn });
  return build({
    method: 'GET',
    target: `/.well-known/acme-challenge/${token}`,
    headers: [
      ['host', 'www.example.com'],
      ['user-agent', "Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)"],
      ['accept', '*/*'],
      ['accept-encoding', 'gzip'],
      ['connection', 'close'],
    ],
    remoteAddress: '192.0.2.10',
  });
}

export async function askResponder(options: {
  readonly responder: DeployedResponder;
  readonly aws: LocalAws;
  readonly jwk: Readonly<Record<string, string>>;
  /** The emulator's and the function's output. @default discarded */
  readonly logFile?: string;
}): Promise<ResponderAnswer> {
  const { responder } = options;
  if (!(SUPPORTED_RUNTIMES as readonly string[]).includes(responder.runtime)) {
    throw new Error(`the responder runs on ${responder.runtime}; this check can run ${SUPPORTED_RUNTIMES.join(', ')} (scripts/local/runtimes.mjs)`);
  }
  const token = randomBytes(32).toString('base64url');
  const expected = `${token}.${await calculateJwkThumbprint(options.jwk, 'sha256')}`;
  const event = challengeEvent(responder, token);
  const logFile = options.logFile;
  const fn = await startLambdaFunction({
    ...functionOptions(responder, options.aws),
    output: logFile === undefined ? () => undefined : (line) => appendFileSync(logFile, `${line}\n`),
  });
  let result: unknown;
  try {
    result = await fn.invoke(event);
  } finally {
    await fn.stop();
  }
  const answer = result as { statusCode?: unknown; body?: unknown; isBase64Encoded?: unknown } | null;
  const status = typeof answer?.statusCode === 'number' ? answer.statusCode : undefined;
  const raw = typeof answer?.body === 'string' ? answer.body : undefined;
  const body = raw !== undefined && answer?.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return { token, event, status, body, expected, ok: status === 200 && body === expected };
}
