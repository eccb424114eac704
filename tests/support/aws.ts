// Real SDK clients pointed at a test stack's moto.
import { ACMClient } from '@aws-sdk/client-acm';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalStack } from './local-stack.js';

export function clientsFor(stack: LocalStack) {
  const settings = {
    region: stack.env.AWS_REGION!,
    endpoint: stack.env.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const s3 = new S3Client(settings);
  const bucket = stack.env.CERT_BUCKET!;
  return {
    s3,
    acm: new ACMClient(settings),
    bucket,
    async read(key: string): Promise<string | undefined> {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await object.Body!.transformToString('utf-8');
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async write(key: string, body: string): Promise<void> {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}

/** Pebble's current root, from its management API. */
export async function pebbleRoot(stack: LocalStack): Promise<string> {
  const { Agent } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const { get } = await import('node:https');
  const agent = new Agent({ ca: readFileSync(stack.env.ACME_TLS_CA_FILE!, 'utf8') });
  return new Promise((resolve, reject) => {
    get(`https://localhost:${stack.pebbleManagementPort}/roots/0`, { agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`roots: HTTP ${response.statusCode}`))));
    }).on('error', reject);
  });
}
