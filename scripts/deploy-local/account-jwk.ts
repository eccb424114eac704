// Puts an account's public JWK into the deployed bucket the way the issuer does on its first run
// (container/acme/account.ts): the same text (accountJwkText), through the issuer's own S3 store
// with SSE-KMS under the stack's key (the task's CERT_KMS_KEY_ID), at layout.accountJwk. The
// private key stays in this process: the responder never needs it.
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { accountJwkText, createPrivateKeyPem, publicJwkOf } from '../../container/acme/keys.js';
import { S3ObjectStore } from '../../lib/store/s3-object-store.js';
import { layout, type KeyType } from '../../lib/core/index.js';

export interface SeededJwk {
  readonly jwk: Readonly<Record<string, string>>;
  readonly object: string;
}

export async function seedAccountJwk(options: {
  readonly s3: S3Client;
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly kmsKeyArn: string;
  readonly keyType: KeyType;
}): Promise<SeededJwk> {
  const jwk = publicJwkOf(await createPrivateKeyPem(options.keyType));
  const store = new S3ObjectStore({ aws: { region: options.region, endpointUrl: options.endpoint }, bucket: options.bucket, kmsKeyId: options.kmsKeyArn });
  await store.put(layout.accountJwk, accountJwkText(jwk));
  const head = await options.s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: layout.accountJwk }));
  if (head.ServerSideEncryption !== 'aws:kms' || head.SSEKMSKeyId !== options.kmsKeyArn) {
    throw new Error(`s3://${options.bucket}/${layout.accountJwk} is stored with ${head.ServerSideEncryption ?? 'no encryption'} (${head.SSEKMSKeyId ?? 'no key'}), not aws:kms with ${options.kmsKeyArn}`);
  }
  return { jwk, object: `s3://${options.bucket}/${layout.accountJwk}` };
}
