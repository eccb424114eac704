import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ErrorCodes, IssuerError, accessDeniedError, awsClientSettings, partitionOf, type AwsConfig } from '../../lib/core/index.js';

export interface SecretWrite {
  /** The secret's ARN: the same for every renewal. */
  readonly arn: string;
  /** The version this write created (AWSCURRENT now points at it). */
  readonly versionId: string;
  readonly created: boolean;
}

export interface SecretDeletion {
  readonly arn: string;
  /** When Secrets Manager deletes it for good; until then it can be restored. */
  readonly deletionDate: Date;
  /** false when an earlier (interrupted) run had scheduled it already. */
  readonly scheduledNow: boolean;
}

/**
 * One secret per certificate, created on the first export (encrypted with `kmsKeyId`) and given
 * a new version in place on every renewal, so its name and ARN never change and readers that ask
 * for AWSCURRENT get the new bundle.
 */
export class SecretsManagerExport {
  private readonly client: SecretsManagerClient;

  constructor(
    private readonly aws: AwsConfig,
    private readonly kmsKeyId: string | undefined,
  ) {
    this.client = new SecretsManagerClient({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  async write(secretName: string, value: string, description: string): Promise<SecretWrite> {
    // what is being asked, for a refusal's message (AWS's own message, when it names one, wins)
    let request = { action: 'secretsmanager:DescribeSecret', resource: `arn:${partitionOf(this.aws.region)}:secretsmanager:${this.aws.region}:<account>:secret:${secretName}-??????` };
    try {
      const existing = await this.describe(secretName);
      if (existing !== undefined) {
        request = { action: 'secretsmanager:PutSecretValue', resource: existing };
        const put = await this.client.send(new PutSecretValueCommand({ SecretId: existing, SecretString: value }));
        return { arn: put.ARN ?? existing, versionId: put.VersionId ?? '', created: false };
      }
      request = { ...request, action: 'secretsmanager:CreateSecret' };
      const created = await this.client.send(new CreateSecretCommand({ Name: secretName, SecretString: value, Description: description, ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}) }));
      return { arn: created.ARN ?? '', versionId: created.VersionId ?? '', created: true };
    } catch (cause) {
      if (cause instanceof IssuerError) throw cause;
      const hint = 'the certificate is stored in S3 and imported into ACM; fix the cause (IAM, KMS key policy) and run renew --force NAME to export again';
      throw (
        exportDenied(cause, {
          ...request,
          during: `could not write secret ${secretName}`,
          notes: [...(this.kmsKeyId ? ['encrypting with EXPORT_KMS_KEY_ID also needs kms:GenerateDataKey and kms:Decrypt on it, through Secrets Manager'] : []), hint],
        }) ?? new IssuerError(ErrorCodes.EXPORT_FAILED, `could not write secret ${secretName}: ${errorText(cause)}`, { hint, cause })
      );
    }
  }

  /**
   * Schedules the secret's deletion after `recoveryDays` (restorable until then with
   * `aws secretsmanager restore-secret`). A secret already scheduled keeps its date; undefined
   * when it is gone for good already.
   */
  async scheduleDeletion(secretId: string, recoveryDays: number): Promise<SecretDeletion | undefined> {
    let request = { action: 'secretsmanager:DescribeSecret', resource: secretId };
    try {
      let described;
      try {
        described = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
      } catch (cause) {
        if (cause instanceof ResourceNotFoundException) return undefined;
        throw cause;
      }
      const arn = described.ARN ?? secretId;
      if (described.DeletedDate !== undefined) return { arn, deletionDate: described.DeletedDate, scheduledNow: false };
      request = { action: 'secretsmanager:DeleteSecret', resource: arn };
      const deleted = await this.client.send(new DeleteSecretCommand({ SecretId: arn, RecoveryWindowInDays: recoveryDays }));
      return { arn, deletionDate: deleted.DeletionDate ?? new Date(Date.now() + recoveryDays * 86_400_000), scheduledNow: true };
    } catch (cause) {
      const hint = 'the ACM certificates are deleted already; fix the cause and run delete again';
      throw (
        exportDenied(cause, { ...request, during: `could not delete secret ${secretId}`, notes: [hint] }) ??
        new IssuerError(ErrorCodes.EXPORT_FAILED, `could not delete secret ${secretId}: ${errorText(cause)}`, { hint, cause })
      );
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

/** ERR_ACCESS_DENIED for a hand-over request the caller may not make (granted by the stack in lib/constructs/issuer-task.ts). */
export function exportDenied(cause: unknown, request: { action: string; resource: string; during: string; notes?: readonly string[] }): IssuerError | undefined {
  return accessDeniedError(cause, { ...request, grantee: "the issuer's credentials (on ECS the task role, granted by the stack in lib/constructs/issuer-task.ts for the exports and the listener DEPLOY_* turns on)" });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
