import middy from '@middy/core';
import type { LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import { ErrorCodes, isValidCertName } from '../../lib/core/index.js';
import { callerOf } from './identity.js';
import { ApiErrorCodes, problem, problemOf } from './problem.js';
import { certificateRequest } from './request-body.js';
import { matchRoute, type Operation } from './routes.js';

/**
 * The certificate API behind a Lambda function URL with AWS_IAM auth (docs/api.md says why that
 * front). This version routes, authenticates, checks input and answers errors as problem
 * documents; the certificate operations answer 501 until they are wired to the store and ECS.
 */

const json = (status: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult => ({
  statusCode: status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The plain handler: what tests (and, next, the local endpoint) call with function URL events. */
// async: Lambda's Node runtimes take async handlers only, and the operations will await the store.
// eslint-disable-next-line @typescript-eslint/require-await
export async function baseHandler(event: LambdaFunctionURLEventWithIAMAuthorizer): Promise<LambdaFunctionURLResult> {
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
    return operate(match.route.operation, event, path);
  } catch (error) {
    return problemOf(error, path);
  }
}

function operate(operation: Operation, event: LambdaFunctionURLEventWithIAMAuthorizer, path: string): LambdaFunctionURLResult {
  switch (operation) {
    case 'getHealth':
      return json(200, { status: 'ok' });
    case 'requestCertificate': {
      // Checked now, so a client learns the contract before the operation is served.
      const request = certificateRequest(event.body, event.isBase64Encoded);
      return notYet(operation, path, `the request for "${request.name}" is valid`);
    }
    default:
      return notYet(operation, path);
  }
}

function notYet(operation: Operation, path: string, said?: string): LambdaFunctionURLResult {
  return problem(ApiErrorCodes.NOT_IMPLEMENTED, `${said === undefined ? '' : `${said}, but `}${operation} is not served by this version of the API yet`, path, {
    hint: 'until then, the issuer CLI does it: declare, renew NAME, undeclare, delete, list, show (docs/cli.md)',
  });
}

/** What Lambda runs. */
export const handler = middy<LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult>(baseHandler);
