// A bucket of its own in moto for one size of a bench (the sweep, the declarations): created and
// configured as `just up` does it, with the options the issuer CLI is run with against it.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { run } from './proc.js';
import { repoRoot, type BenchStack } from './stack.js';

export async function benchBucket(stack: BenchStack, bucket: string) {
  const env = { ...stack.env, CERT_BUCKET: bucket, CERTIFICATES: '' };
  const options = { cwd: repoRoot, env, timeoutMs: 600_000 };
  await run(process.execPath, ['--import', 'tsx', 'scripts/local/bootstrap-aws.ts'], options);
  const s3 = new S3Client({ endpoint: stack.env.AWS_ENDPOINT_URL, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  /** A plain PUT, as the bench seeds what earlier runs would have written. */
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  return { options, put };
}
