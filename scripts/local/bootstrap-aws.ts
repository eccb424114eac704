// Creates the certificate bucket in the local AWS endpoint (moto or LocalStack) the way the CDK
// stack creates it on AWS: versioned, SSE-KMS by default, public access blocked. Idempotent.
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ConfigReader, awsClientSettings, readAwsConfig, readBucket } from '../../lib/core/index.js';

const reader = new ConfigReader(process.env);
const aws = readAwsConfig(reader);
const bucket = readBucket(reader);
reader.done(undefined);
if (aws.endpointUrl === undefined) {
  console.error('AWS_ENDPOINT_URL is empty: refusing to create buckets in real AWS (the CDK stack does that)');
  process.exit(2);
}

const s3 = new S3Client(awsClientSettings(aws));
const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
  () => true,
  () => false,
);
if (!exists) {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(aws.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: aws.region as never } }),
    }),
  );
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    }),
  );
}
console.error(`ok   bucket s3://${bucket} (${exists ? 'exists' : 'created'})`);
