import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  ErrorCodes,
  IssuerError,
  awsClientSettings,
  type AwsConfig,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from '../../lib/core/index.js';

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
      throw this.unavailable('read', key, error);
    }
  }

  async put(key: string, body: string, options: PutOptions = {}): Promise<string> {
    const condition = options.condition;
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
      throw this.unavailable('write', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.unavailable('list', prefix, error);
    }
    return keys;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (error) {
      throw this.unavailable('delete', key, error);
    }
  }

  /** Deletes the exact version just written (a versioned bucket would otherwise keep it). */
  private async removeUnencrypted(key: string, versionId: string | undefined): Promise<void> {
    await this.s3
      .send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }))
      .catch((cause: unknown) => {
        throw this.unavailable(`remove the unencrypted private key at`, key, cause);
      });
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
