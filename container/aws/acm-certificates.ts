import { ACMClient, DeleteCertificateCommand, DescribeCertificateCommand, ResourceInUseException, ResourceNotFoundException } from '@aws-sdk/client-acm';
import { ErrorCodes, IssuerError, awsClientSettings, type AwsConfig } from '../../lib/core/index.js';
import { acmDenied } from './acm-importer.js';

/** What ACM says of a certificate before it is deleted: gone already, or what uses it (empty: nothing). */
export type AcmUsage = { readonly exists: false } | { readonly exists: true; readonly inUseBy: readonly string[] };

/**
 * The ACM certificates of one region, for taking them away (`delete`, and the old ARN after a
 * key-type change): what uses one, and deleting one. A certificate already gone counts as deleted,
 * so an interrupted run can simply be run again.
 */
export class AcmCertificates {
  private readonly acm: ACMClient;

  constructor(readonly aws: AwsConfig) {
    this.acm = new ACMClient({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  async usage(certificateArn: string): Promise<AcmUsage> {
    try {
      const described = await this.acm.send(new DescribeCertificateCommand({ CertificateArn: certificateArn }));
      return { exists: true, inUseBy: described.Certificate?.InUseBy ?? [] };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return { exists: false };
      throw (
        acmDenied(error, { action: 'acm:DescribeCertificate', resource: certificateArn, during: `could not describe ${certificateArn}` }) ??
        new IssuerError(ErrorCodes.ACM_FAILED, `could not describe ${certificateArn}: ${errorText(error)}`, { cause: error })
      );
    }
  }

  /** true when this call deleted it, false when it was gone already. */
  async delete(certificateArn: string, notes: readonly string[]): Promise<boolean> {
    try {
      await this.acm.send(new DeleteCertificateCommand({ CertificateArn: certificateArn }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      if (error instanceof ResourceInUseException) {
        // ACM updates InUseBy a little after a listener lets go: the same run again finishes it.
        throw new IssuerError(ErrorCodes.ACM_FAILED, `ACM refused to delete ${certificateArn}: it is still in use (${errorText(error)})`, {
          hint: `${notes.join('; ')}; if the only user left is the load balancer we just detached it from, ACM has not caught up yet: run the same command again in a minute`,
          cause: error,
        });
      }
      throw (
        acmDenied(error, { action: 'acm:DeleteCertificate', resource: certificateArn, during: `could not delete ${certificateArn}`, notes }) ??
        new IssuerError(ErrorCodes.ACM_FAILED, `could not delete ${certificateArn}: ${errorText(error)}`, { hint: notes.join('; '), cause: error })
      );
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
