// Real SDK clients pointed at a test stack's moto, with the stack's own keys (the admin's when
// moto enforces IAM): a test's setup and inspection, never the issuer's or responder's access.
import { ACMClient } from '@aws-sdk/client-acm';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalStack } from './local-stack.js';
import { pebbleManagement } from './pebble.js';

/** An object's body as text, or undefined when there is none. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body!.transformToString('utf-8');
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export function clientsFor(stack: LocalStack) {
  const settings = {
    region: stack.env.AWS_REGION!,
    endpoint: stack.env.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
    credentials: adminCredentials(stack),
  };
  const s3 = new S3Client(settings);
  const bucket = stack.env.CERT_BUCKET!;
  return {
    s3,
    acm: new ACMClient(settings),
    bucket,
    read: (key: string) => readObject(s3, bucket, key),
    async list(prefix: string): Promise<string[]> {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((o) => o.Key!);
    },
    async write(key: string, body: string): Promise<void> {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}

/** The stack's own keys (the admin's when moto enforces IAM). */
export function adminCredentials(stack: Pick<LocalStack, 'env'>): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: stack.env.AWS_ACCESS_KEY_ID!, secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY! };
}

/** Pebble's current root, from its management API. */
export async function pebbleRoot(stack: LocalStack): Promise<string> {
  const response = await pebbleManagement(stack, '/roots/0');
  if (response.status !== 200) throw new Error(`roots: HTTP ${response.status}`);
  return response.body;
}
