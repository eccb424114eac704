import { DeleteParameterCommand, ParameterNotFound, ParameterTier, ParameterType, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ErrorCodes, IssuerError, awsClientSettings, partitionOf, type AwsConfig } from '../../lib/core/index.js';
import { errorText, exportDenied } from './secrets-manager.js';

export interface ParameterWrite {
  readonly name: string;
  readonly version: number;
}

/**
 * One SecureString parameter per certificate, overwritten in place (same name, next version).
 * A PEM bundle with an RSA key is over the 4 KB of a standard parameter, so the tier is
 * Intelligent-Tiering: SSM picks Advanced only when the value needs it.
 */
export class SsmExport {
  private readonly client: SSMClient;

  constructor(
    private readonly aws: AwsConfig,
    private readonly kmsKeyId: string | undefined,
  ) {
    this.client = new SSMClient({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  async write(name: string, value: string, description: string): Promise<ParameterWrite> {
    try {
      const put = await this.client.send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: ParameterType.SECURE_STRING,
          Overwrite: true,
          Tier: ParameterTier.INTELLIGENT_TIERING,
          Description: description,
          ...(this.kmsKeyId ? { KeyId: this.kmsKeyId } : {}),
        }),
      );
      return { name, version: put.Version ?? 0 };
    } catch (cause) {
      const hint = 'the certificate is stored in S3 and imported into ACM; fix the cause (IAM, KMS key policy) and run renew --force NAME to export again';
      const resource = `arn:${partitionOf(this.aws.region)}:ssm:${this.aws.region}:<account>:parameter${name.startsWith('/') ? '' : '/'}${name}`;
      throw (
        exportDenied(cause, {
          action: 'ssm:PutParameter',
          resource,
          during: `could not write parameter ${name}`,
          notes: [...(this.kmsKeyId ? ['a SecureString with EXPORT_KMS_KEY_ID also needs kms:Encrypt (kms:GenerateDataKey when advanced) on it, through SSM'] : []), hint],
        }) ?? new IssuerError(ErrorCodes.EXPORT_FAILED, `could not write parameter ${name}: ${errorText(cause)}`, { hint, cause })
      );
    }
  }

  /** true when this call deleted it, false when it was gone already (an interrupted `delete` run again). */
  async delete(name: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
      return true;
    } catch (cause) {
      if (cause instanceof ParameterNotFound) return false;
      const hint = 'nothing else of the certificate was deleted after this; fix the cause and run delete again';
      const resource = `arn:${partitionOf(this.aws.region)}:ssm:${this.aws.region}:<account>:parameter${name.startsWith('/') ? '' : '/'}${name}`;
      throw (
        exportDenied(cause, { action: 'ssm:DeleteParameter', resource, during: `could not delete parameter ${name}`, notes: [hint] }) ??
        new IssuerError(ErrorCodes.EXPORT_FAILED, `could not delete parameter ${name}: ${errorText(cause)}`, { hint, cause })
      );
    }
  }
}
