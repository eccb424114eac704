import { describe, expect, it } from 'vitest';
import { accessDeniedError, partitionOf } from '../../lib/core/index.js';

// Errors as the AWS SDK v3 raises them (name and message are all the function reads). The
// messages are the shapes AWS writes; the e2e suite (tests/e2e/iam.test.ts) gets real ones from moto.
const request = { action: 's3:PutObject', resource: 'arn:aws:s3:::b/live/x/cert.pem', during: 'could not write s3://b/live/x/cert.pem', grantee: 'the task role', notes: ['note'] };
const error = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('accessDeniedError', () => {
  it('names the request it was given when the service says only "Access Denied" (S3)', () => {
    const denied = accessDeniedError(error('AccessDenied', 'Access Denied'), request)!;
    expect(denied.code).toBe('ERR_ACCESS_DENIED');
    expect(denied.message).toBe('could not write s3://b/live/x/cert.pem: AWS denied s3:PutObject on arn:aws:s3:::b/live/x/cert.pem (AccessDenied: Access Denied)');
    expect(denied.hint).toBe('grant s3:PutObject on arn:aws:s3:::b/live/x/cert.pem to the task role, or run with credentials that have it; note');
  });

  it.each([
    // KMS refusing the data key behind an S3 write: the action AWS evaluated wins
    [
      'AccessDenied',
      'User: arn:aws:sts::111122223333:assumed-role/task/abc is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:111122223333:key/k because no identity-based policy allows the kms:GenerateDataKey action',
      'kms:GenerateDataKey on arn:aws:kms:eu-west-1:111122223333:key/k to arn:aws:sts::111122223333:assumed-role/task/abc (AccessDenied)',
    ],
    // S3's newer messages quote the resource
    [
      'AccessDenied',
      'User: arn:aws:sts::111122223333:assumed-role/task/abc is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/live/x/cert.pem" because no identity-based policy allows the s3:PutObject action',
      's3:PutObject on arn:aws:s3:::b/live/x/cert.pem to arn:aws:sts::111122223333:assumed-role/task/abc (AccessDenied)',
    ],
    // a JSON service without a resource in its message: ours is used
    [
      'AccessDeniedException',
      'User: arn:aws:iam::111122223333:user/u is not authorized to perform: acm:ListCertificates',
      'acm:ListCertificates on arn:aws:s3:::b/live/x/cert.pem to arn:aws:iam::111122223333:user/u (AccessDeniedException)',
    ],
  ])('takes the action and resource AWS evaluated from its message (%s)', (name, message, said) => {
    expect(accessDeniedError(error(name, message), request)!.message).toBe(`could not write s3://b/live/x/cert.pem: AWS denied ${said}`);
  });

  it.each(['InvalidAccessKeyId', 'InvalidClientTokenId', 'UnrecognizedClientException', 'ExpiredToken', 'SignatureDoesNotMatch', 'CredentialsProviderError'])('says the credentials were refused (%s)', (name) => {
    const denied = accessDeniedError(error(name, 'nope'), request)!;
    expect(denied.message).toBe(`could not write s3://b/live/x/cert.pem: AWS refused the credentials for s3:PutObject (${name}: nope)`);
    expect(denied.hint).toMatch(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN/);
  });

  it.each([error('NoSuchKey', 'gone'), error('ServiceUnavailable', 'slow down'), error('TimeoutError', 'x'), 'a string', undefined, null])('leaves other errors alone (%s)', (other) => {
    expect(accessDeniedError(other, request)).toBeUndefined();
  });
});

it.each([
  ['eu-west-1', 'aws'],
  ['cn-north-1', 'aws-cn'],
  ['us-gov-west-1', 'aws-us-gov'],
])('partitionOf(%s) is %s', (region, partition) => {
  expect(partitionOf(region)).toBe(partition);
});
