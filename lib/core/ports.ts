/**
 * What the runtime needs from the outside world, declared here so the core stays free of AWS:
 * container/ implements these with the AWS SDK (and tests use the same implementations on moto).
 */
export interface StoredObject {
  readonly body: string;
  readonly etag: string;
}

/** Preconditions that make S3 writes safe under concurrency. */
export type WriteCondition =
  | { readonly ifNoneMatch: '*' } // create only
  | { readonly ifMatch: string }; // replace only the version we read

export interface PutOptions {
  readonly contentType?: string;
  readonly condition?: WriteCondition;
  /** Private keys: refuse to write without server-side KMS encryption. */
  readonly sensitive?: boolean;
}

export interface ObjectStore {
  /** undefined when the object does not exist; throws ERR_STORAGE_UNAVAILABLE when S3 cannot answer. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Returns the new ETag; throws ERR_CONFLICT when a condition fails. */
  put(key: string, body: string, options?: PutOptions): Promise<string>;
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}
