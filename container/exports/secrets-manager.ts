import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ErrorCodes, IssuerError, awsClientSettings, type AwsConfig } from '../../lib/core/index.js';

export interface SecretWrite {
  /** The secret's ARN: the same for every renewal. */
  readonly arn: string;
  /** The version this write created (AWSCURRENT now points at it). */
  readonly versionId: string;
  readonly created: boolean;
}

/**
 * One secret per certificate, created on the first export (encrypted with `kmsKeyId`) and given
 * a new version in place on every renewal, so its name and ARN never change and readers that ask
 * for AWSCURRENT get the new bundle.
 */
export class SecretsManagerExport {
  private readonly client: SecretsManagerClient;

  constructor(aws: AwsConfig, private readonly kmsKeyId: string | undefined) {
    this.client = new SecretsManagerClient({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  async write(secretName: string, value: string, description: string): Promise<SecretWrite> {
    try {
      const existing = await this.describe(secretName);
      if (existing !== undefined) {
        const put = await this.client.send(new PutSecretValueCommand({ SecretId: existing, SecretString: value }));
        return { arn: put.ARN ?? existing, versionId: put.VersionId ?? '', created: false };
      }
      const created = await this.client.send(
        new CreateSecretCommand({ Name: secretName, SecretString: value, Description: description, ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}) }),
      );
      return { arn: created.ARN ?? '', versionId: created.VersionId ?? '', created: true };
    } catch (cause) {
      if (cause instanceof IssuerError) throw cause;
      throw new IssuerError(ErrorCodes.EXPORT_FAILED, `could not write secret ${secretName}: ${errorText(cause)}`, {
        hint: 'the certificate is stored in S3 and imported into ACM; fix the cause (IAM, KMS key policy) and run renew --force NAME to export again',
        cause,
      });
    }
  }

  private async describe(secretName: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new DescribeSecretCommand({ SecretId: secretName }))).ARN;
    } catch (cause) {
      if (cause instanceof ResourceNotFoundException) return undefined;
      throw cause;
    }
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
