import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ErrorCodes, IssuerError, accessDeniedError, assertCreateOnlyWrite, awsClientSettings, partitionOf, type AwsConfig, type ObjectStore, type PutOptions, type StoredObject } from '../core/index.js';

export interface S3ObjectStoreOptions {
  readonly aws: AwsConfig;
  readonly bucket: string;
  /** KMS key for SSE-KMS; undefined lets S3 use the bucket's default KMS key. */
  readonly kmsKeyId: string | undefined;
}

/** The certificate store on S3: conditional writes, SSE-KMS on every object, verified for private keys. */
export class S3ObjectStore implements ObjectStore {
  private readonly s3: S3Client;

  constructor(private readonly options: S3ObjectStoreOptions) {
    this.s3 = new S3Client({ ...awsClientSettings(options.aws), maxAttempts: 3 });
  }

  get bucket(): string {
    return this.options.bucket;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { body: (await object.Body?.transformToString('utf-8')) ?? '', etag: object.ETag ?? '' };
    } catch (error) {
      if (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)) {
        return undefined;
      }
      throw this.failed('read', 's3:GetObject', key, error);
    }
  }

  async put(key: string, body: string, options: PutOptions = {}): Promise<string> {
    const condition = options.condition;
    assertCreateOnlyWrite(key, condition);
    try {
      const result = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType ?? contentTypeOf(key),
          ServerSideEncryption: 'aws:kms',
          ...(this.options.kmsKeyId === undefined ? {} : { SSEKMSKeyId: this.options.kmsKeyId }),
          ...(condition !== undefined && 'ifNoneMatch' in condition ? { IfNoneMatch: condition.ifNoneMatch } : {}),
          ...(condition !== undefined && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
        }),
      );
      if (options.sensitive === true && result.ServerSideEncryption !== 'aws:kms' && result.ServerSideEncryption !== 'aws:kms:dsse') {
        await this.removeUnencrypted(key, result.VersionId);
        throw new IssuerError(
          ErrorCodes.STORAGE_UNAVAILABLE,
          `s3://${this.options.bucket}/${key} holds a private key but the endpoint did not store it with SSE-KMS (it reported ${result.ServerSideEncryption ?? 'no encryption'}); the object was removed`,
          { hint: 'point AWS_ENDPOINT_URL at S3 (or an S3-compatible store that honours SSE-KMS) and check CERT_KMS_KEY_ID' },
        );
      }
      return result.ETag ?? '';
    } catch (error) {
      if (error instanceof IssuerError) throw error;
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      if (status === 412 || status === 409) {
        throw new IssuerError(ErrorCodes.CONFLICT, `s3 object ${key} was changed by another writer`, { cause: error });
      }
      throw this.failed('write', 's3:PutObject', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.failed('list', 's3:ListBucket', prefix, error);
    }
    return keys;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (error) {
      throw this.failed('delete', 's3:DeleteObject', key, error);
    }
  }

  /** Deletes the exact version just written (a versioned bucket would otherwise keep it). */
  private async removeUnencrypted(key: string, versionId: string | undefined): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) })).catch((cause: unknown) => {
      throw this.failed(`remove the unencrypted private key at`, versionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion', key, cause);
    });
  }

  /** ERR_ACCESS_DENIED naming the action and object when S3 (or KMS behind it) refused the caller, else ERR_STORAGE_UNAVAILABLE. */
  private failed(verb: string, action: string, key: string, cause: unknown): IssuerError {
    const bucket = this.options.bucket;
    const partition = partitionOf(this.options.aws.region);
    const listing = action === 's3:ListBucket';
    const notes = [
      ...(action === 's3:GetObject' ? ['S3 answers AccessDenied, not NoSuchKey, for an object that does not exist when the caller may not list it (s3:ListBucket on the bucket)'] : []),
      ...(action === 's3:GetObject' || action === 's3:PutObject' ? [`an SSE-KMS ${action === 's3:PutObject' ? 'write also needs kms:GenerateDataKey' : 'read also needs kms:Decrypt'} on the store key, through S3`] : []),
      'nothing was changed by this failed step',
    ];
    const denied = accessDeniedError(cause, {
      action,
      resource: listing ? `arn:${partition}:s3:::${bucket} (s3:prefix ${key})` : `arn:${partition}:s3:::${bucket}/${key}`,
      during: `could not ${verb} s3://${bucket}/${key}`,
      grantee: "the issuer's credentials (on ECS the task role, granted by the stack in lib/constructs/certificate-store.ts grantIssuer)",
      notes,
    });
    return denied ?? this.unavailable(verb, key, cause);
  }

  private unavailable(action: string, key: string, cause: unknown): IssuerError {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    return new IssuerError(ErrorCodes.STORAGE_UNAVAILABLE, `could not ${action} s3://${this.options.bucket}/${key} (${detail})`, {
      hint: 'check CERT_BUCKET, AWS_REGION, AWS_ENDPOINT_URL and the credentials; nothing was changed by this failed step',
      cause,
    });
  }
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.pem')) return 'application/x-pem-file';
  return 'application/octet-stream';
}
