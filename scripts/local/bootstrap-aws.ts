// Creates the certificate bucket in the local AWS endpoint (moto or LocalStack) the way the CDK
// stack creates it on AWS: versioned, SSE-KMS by default with a customer-managed key of its own
// (no S3 Bucket Key, as the stack), public access blocked. Idempotent. Writes the key's ARN to
// $LOCAL_STATE_DIR/run/aws.env as CERT_KMS_KEY_ID, which the stack sets on the issuer task too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, HeadBucketCommand, PutBucketEncryptionCommand, PutBucketVersioningCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigReader, awsClientSettings, readAwsConfig, readBucket } from '../../lib/core/index.js';

const reader = new ConfigReader(process.env);
const aws = readAwsConfig(reader);
const bucket = readBucket(reader);
reader.done(undefined);
if (aws.endpointUrl === undefined) {
  console.error('AWS_ENDPOINT_URL is empty: refusing to create buckets in real AWS (the CDK stack does that)');
  process.exit(2);
}

const kms = new KMSClient({ region: aws.region, endpoint: aws.endpointUrl });
const alias = `alias/local/${bucket}`;
const keyArn = await kms.send(new DescribeKeyCommand({ KeyId: alias })).then(
  (found) => found.KeyMetadata!.Arn!,
  async (error: unknown) => {
    if ((error as { name?: string }).name !== 'NotFoundException') throw error;
    const created = await kms.send(new CreateKeyCommand({ Description: `local certificate store ${bucket} (the stack's StoreKey)` }));
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: created.KeyMetadata!.KeyId! }));
    return created.KeyMetadata!.Arn!;
  },
);

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
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: false }] },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    }),
  );
}
writeFileSync(join(process.env.LOCAL_STATE_DIR ?? '.local', 'run', 'aws.env'), `CERT_KMS_KEY_ID='${keyArn}'\n`);
console.error(`ok   bucket s3://${bucket} (${exists ? 'exists' : 'created'}), key ${keyArn}`);
