import middy from '@middy/core';
import type { LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import { ErrorCodes, isValidCertName, parseApiConfig, type Env } from '../../lib/core/index.js';
import { S3ObjectStore } from '../../lib/store/s3-object-store.js';
import { callerOf } from './identity.js';
import { CertificateApi } from './operations.js';
import { ApiErrorCodes, problem, problemOf } from './problem.js';
import { certificateRequest } from './request-body.js';
import { matchRoute } from './routes.js';
import { EcsTaskStarter } from './task-starter.js';

/**
 * The certificate API behind a Lambda function URL with AWS_IAM auth (docs/api.md says why that
 * front): routes, authenticates, checks input, runs the operation (operations.ts) and answers
 * errors as problem documents.
 */

const json = (status: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult => ({
  statusCode: status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export type ApiHandler = (event: LambdaFunctionURLEventWithIAMAuthorizer) => Promise<LambdaFunctionURLResult>;

/** The API on the store and ECS a configuration names (what Lambda, the local endpoint and tests run). */
export function apiFromEnv(env: Env): CertificateApi {
  const config = parseApiConfig(env);
  return new CertificateApi({
    store: new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId }),
    tasks: new EcsTaskStarter(config.aws, config.task),
    admins: config.admins,
    now: () => new Date(),
  });
}

/** The plain handler over one CertificateApi: what tests and the local endpoint call with function URL events. */
export function createHandler(api: () => CertificateApi): ApiHandler {
  return async (event) => {
    const path = event.rawPath;
    try {
      const caller = callerOf(event);
      if (caller === undefined) {
        return problem(ErrorCodes.ACCESS_DENIED, 'the request carries no IAM identity', path, { hint: 'sign the request with SigV4 (service "lambda"), e.g. curl --aws-sigv4 "aws:amz:REGION:lambda" (docs/api.md)' });
      }
      const method = event.requestContext.http.method;
      const match = matchRoute(method, path);
      if (!match.found) {
        if (match.allow.length === 0) return problem(ErrorCodes.NOT_FOUND, `no resource at ${path}`, path, { hint: 'the routes are in openapi.json (docs/api.md)' });
        return problem(ApiErrorCodes.METHOD_NOT_ALLOWED, `${method} is not allowed on ${path}`, path, { headers: { allow: match.allow.join(', ') }, hint: `use ${match.allow.join(' or ')}` });
      }
      const name = match.params.name;
      if (name !== undefined && !isValidCertName(name)) {
        return problem(ErrorCodes.BAD_INPUT, `certificate name "${name}" is not valid`, path, { hint: 'use 1-64 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit' });
      }
      // A function URL is https; the local endpoint (scripts/local/api-endpoint.ts) says http in x-forwarded-proto.
      const scheme = event.headers['x-forwarded-proto'] === 'http' ? 'http' : 'https';
      const statusUrl = (n: string) => `${scheme}://${event.requestContext.domainName}/certificates/${n}/status`;
      const accepted = (body: { statusUrl: string }) => json(202, body, { location: body.statusUrl });
      switch (match.route.operation) {
        case 'getHealth':
          return json(200, { status: 'ok' });
        case 'requestCertificate': {
          // Checked before the configuration is read: bad input is the caller's 400 whatever the API's state.
          const request = certificateRequest(event.body, event.isBase64Encoded);
          return accepted(await api().request(caller, request, statusUrl(request.name)));
        }
        case 'listCertificates':
          return json(200, { certificates: await api().list() });
        case 'getCertificate':
          return json(200, await api().get(name!));
        case 'getCertificateStatus':
          return json(200, await api().status(name!));
        case 'renewCertificate':
          return accepted(await api().renew(caller, name!, statusUrl(name!)));
        case 'deleteCertificate':
          return accepted(await api().delete(caller, name!, statusUrl(name!)));
      }
    } catch (error) {
      if (!(error instanceof Error && 'code' in error)) console.error('unexpected failure', error);
      return problemOf(error, path);
    }
  };
}

// Read once per execution environment, on the first request that needs it (a bad configuration is that request's 500, named).
let configured: CertificateApi | undefined;
export const baseHandler: ApiHandler = createHandler(() => (configured ??= apiFromEnv(process.env)));

/** What Lambda runs. */
export const handler = middy<LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult>(baseHandler);
