import { ACMClient, DescribeCertificateCommand, ImportCertificateCommand, ResourceNotFoundException } from '@aws-sdk/client-acm';
import { ACM_OWNER_TAG, ErrorCodes, IssuerError, accessDeniedError, acmImportTags, awsClientSettings, partitionOf, type AcmRecord, type AwsConfig } from '../../lib/core/index.js';
import type { CertificateFiles } from '../certificates/archive.js';

/** ACM's names for the key algorithms we issue. */
const ACM_KEY_ALGORITHM: Record<string, string> = { 'RSA 2048': 'RSA_2048', 'EC P-256': 'EC_prime256v1' };

export interface ImportRequest {
  readonly name: string;
  readonly serial: string;
  readonly keyAlgorithm: string;
  readonly files: CertificateFiles;
  /** The ARN this certificate already lives at in this region: re-import keeps it. */
  readonly existing: AcmRecord | undefined;
  /** Import as a new ARN when the key algorithm changed (ACM cannot change it in place). */
  readonly allowNewArn: boolean;
}

/**
 * Imports into ACM, re-importing into the same ARN when there is one so every listener and
 * distribution that uses it serves the new certificate with no change. Real ACM rejects tags on
 * re-import and a key algorithm change; moto checks neither, so both are enforced here.
 */
export class AcmImporter {
  private readonly acm: ACMClient;

  constructor(readonly aws: AwsConfig) {
    this.acm = new ACMClient({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  get region(): string {
    return this.aws.region;
  }

  /**
   * Where an import goes: the existing ARN (a re-import), or undefined for a new ARN (a first
   * import, one deleted by hand, or a key algorithm ACM cannot change in place and allowNewArn).
   * Asked before the import so what the run reports is what happens.
   */
  async target(request: ImportRequest): Promise<string | undefined> {
    return this.reusableArn(request);
  }

  async import(request: ImportRequest, now: Date, planned?: { readonly target: string | undefined }): Promise<AcmRecord> {
    const target = planned === undefined ? await this.reusableArn(request) : planned.target;
    const input = {
      Certificate: Buffer.from(request.files.cert),
      PrivateKey: Buffer.from(request.files.privkey),
      ...(request.files.chain === '' ? {} : { CertificateChain: Buffer.from(request.files.chain) }),
    };
    try {
      const result = await this.acm.send(new ImportCertificateCommand(target === undefined ? { ...input, Tags: acmImportTags(request.name) } : { ...input, CertificateArn: target }));
      return { region: this.aws.region, certificateArn: result.CertificateArn ?? target ?? '', serial: request.serial, importedAt: now.toISOString() };
    } catch (cause) {
      const hint = 'the certificate is stored in S3 and the previous one stays in ACM; fix the cause and run renew to import again';
      const denied = acmDenied(cause, {
        action: 'acm:ImportCertificate',
        resource: target ?? `arn:${partitionOf(this.aws.region)}:acm:${this.aws.region}:<account>:certificate/* (a new certificate)`,
        during: `ACM refused the import of ${request.name} in ${this.aws.region}`,
        // a first import carries tags, which ACM authorizes as acm:AddTagsToCertificate as well;
        // a re-import is allowed only into a certificate with the issuer's tag
        notes: [
          target === undefined
            ? `a first import is tagged ${ACM_OWNER_TAG}, which also needs acm:AddTagsToCertificate with that request tag`
            : `the stack lets the issuer re-import only into a certificate tagged ${ACM_OWNER_TAG}; one imported another way needs the tag first (aws acm add-tags-to-certificate --certificate-arn ${target} --tags Key=${ACM_OWNER_TAG},Value=${request.name})`,
          hint,
        ],
      });
      throw denied ?? new IssuerError(ErrorCodes.ACM_FAILED, `ACM refused the import of ${request.name} in ${this.aws.region}: ${errorText(cause)}`, { hint, cause });
    }
  }

  /** The existing ARN if it still exists and can take this key algorithm; undefined means a first import. */
  private async reusableArn(request: ImportRequest): Promise<string | undefined> {
    if (request.existing === undefined) return undefined;
    const arn = request.existing.certificateArn;
    let algorithm: string | undefined;
    try {
      const described = await this.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
      algorithm = described.Certificate?.KeyAlgorithm;
    } catch (cause) {
      if (cause instanceof ResourceNotFoundException) return undefined; // deleted by hand: import anew
      throw (
        acmDenied(cause, { action: 'acm:DescribeCertificate', resource: arn, during: `could not describe ${arn}` }) ?? new IssuerError(ErrorCodes.ACM_FAILED, `could not describe ${arn}: ${errorText(cause)}`, { cause })
      );
    }
    const wanted = ACM_KEY_ALGORITHM[request.keyAlgorithm];
    if (algorithm !== undefined && wanted !== undefined && algorithm !== wanted) {
      if (request.allowNewArn) return undefined;
      throw new IssuerError(ErrorCodes.ACM_FAILED, `${request.name}: ACM cannot re-import a ${request.keyAlgorithm} certificate into ${arn}, which holds ${algorithm}`, {
        hint: 'keep the certificate key type, or pass --new-arn to import under a new ARN and then move listeners to it',
      });
    }
    return arn;
  }
}

/** ERR_ACCESS_DENIED for an ACM request the caller may not make (the stack grants ACM in lib/constructs/issuer-task.ts grantAcmImport). */
export function acmDenied(cause: unknown, request: { action: string; resource: string; during: string; notes?: readonly string[] }): IssuerError | undefined {
  return accessDeniedError(cause, { ...request, grantee: "the issuer's credentials (on ECS the task role, granted by the stack in lib/constructs/issuer-task.ts grantAcmImport)" });
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
