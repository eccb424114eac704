import middy from '@middy/core';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { CHALLENGE_PATH_PREFIX, accessDeniedError, awsClientSettings, isIssuerError, keyAuthorization, layout, parseResponderConfig, partitionOf, tokenFromPath } from '../../lib/core/index.js';
import { albResponse } from './alb-response.js';
import { logger, requestLog } from './observability.js';
import { ThumbprintCache } from './thumbprint-cache.js';

/** The one object the responder reads (a constant: no request ever picks a key). */
const JWK_KEY = layout.accountJwk;

/** Seconds a client (the CA) should wait before retrying when the account key cannot be read yet. */
const RETRY_AFTER_SECONDS = '5';

/**
 * Built on first use, not at import: a bad configuration then answers 503 with a logged reason
 * instead of failing the Lambda's init (which ALB turns into a bare 502).
 */
let cache: ThumbprintCache | undefined;

function thumbprintCache(): ThumbprintCache {
  if (cache !== undefined) return cache;
  const config = parseResponderConfig(process.env);
  const s3 = new S3Client(awsClientSettings(config.aws));
  cache = new ThumbprintCache({
    refreshMs: config.jwkRefreshSeconds * 1000,
    readJwk: async () => {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: JWK_KEY }));
        return (await object.Body?.transformToString('utf-8')) ?? '';
      } catch (error) {
        // a refusal is logged as the permission to grant, not as S3 being down
        throw accessDeniedError(error, jwkRead(config.bucket, config.aws.region)) ?? error;
      }
    },
  });
  return cache;
}

/** The plain handler: what tests and the local ALB adapter call with real ALB events. */
export async function baseHandler(event: ALBEvent): Promise<ALBResult> {
  if (!event.path.startsWith(CHALLENGE_PATH_PREFIX)) return albResponse(event, 404, 'Not Found\n');
  if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD') {
    return albResponse(event, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
  }
  const token = tokenFromPath(event.path);
  if (token === undefined) return albResponse(event, 404, 'Not Found\n');
  let thumbprint: string;
  try {
    const cache = thumbprintCache();
    // a fresh thumbprint is used without awaiting: no promise for nearly every request
    thumbprint = cache.fresh() ?? (await cache.get());
  } catch (error) {
    logUnavailable(error);
    return albResponse(event, 503, 'Service Unavailable\n', { 'retry-after': RETRY_AFTER_SECONDS });
  }
  return albResponse(event, 200, keyAuthorization(token, thumbprint));
}

/** The one request the responder makes, as IAM sees it. */
function jwkRead(bucket: string, region: string) {
  return {
    action: 's3:GetObject',
    resource: `arn:${partitionOf(region)}:s3:::${bucket}/${JWK_KEY}`,
    during: `could not read s3://${bucket}/${JWK_KEY}`,
    grantee: "the responder function's role (granted by the stack in lib/constructs/certificate-store.ts grantReadPublicJwk)",
    notes: ["the SSE-KMS read also needs kms:Decrypt on the store key, through S3, for this object's encryption context", 'S3 answers AccessDenied, not NoSuchKey, while the object does not exist yet (run `register`)'],
  };
}

/** The reason for a 503, as an ERROR line of the responder's logger (with the request's correlation id). */
function logUnavailable(error: unknown): void {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'ERR_UNKNOWN';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  logger.error('answering 503: account public JWK unavailable', {
    code,
    error: error instanceof Error ? error.message : String(error),
    cause: cause?.message,
    // a refused read says which permission to grant, and where
    ...(isIssuerError(cause) ? { causeCode: cause.code, hint: cause.hint } : {}),
  });
}

/** What Lambda runs. */
export const handler = middy<ALBEvent, ALBResult>(baseHandler).use(requestLog());

/** Drops the cached thumbprint and client (tests that change configuration between cases). */
export function resetResponderForTests(): void {
  cache = undefined;
}
