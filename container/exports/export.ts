import {
  handoverDocument,
  parameterNameOf,
  regionOfArn,
  secretNameOf,
  type AcmRecord,
  type AwsConfig,
  type CertificateSpec,
  type ExportConfig,
  type ExportKind,
  type ExportRecord,
  type LiveMetadata,
} from '../../lib/core/index.js';
import type { CertificateFiles } from '../certificates/archive.js';
import type { Progress } from '../progress.js';
import { ListenerAttachment } from './listener.js';
import { SecretsManagerExport } from './secrets-manager.js';
import { SsmExport } from './ssm.js';

export interface ExportInput {
  readonly name: string;
  readonly domains: readonly string[];
  readonly serial: string;
  readonly notAfter: Date;
  readonly files: CertificateFiles;
  /** The version's pointer facts: the document is the one archived as bundle.json (one shape for every consumer). */
  readonly metadata: LiveMetadata;
  /** Where the certificate now lives in ACM (the listener takes the one in its region). */
  readonly acm: readonly AcmRecord[];
}

/**
 * Hands a freshly stored certificate over to where it is consumed besides ACM: a secret and/or a
 * SecureString parameter with the PEM bundle (per certificate: `;export=` in CERTIFICATES, else
 * EXPORTS), and the HTTPS listener (HTTPS_LISTENER_ARN). Every identifier is stable across
 * renewals; only the content and version change. Nothing is called for a kind that is off.
 */
export class CertificateExporter {
  private secrets: SecretsManagerExport | undefined;
  private ssm: SsmExport | undefined;
  private listener: ListenerAttachment | undefined;

  constructor(
    private readonly aws: AwsConfig,
    private readonly config: ExportConfig,
    private readonly certificates: readonly CertificateSpec[],
  ) {}

  /** The HTTPS listener certificates are attached to (HTTPS_LISTENER_ARN), if any. */
  get listenerArn(): string | undefined {
    return this.config.httpsListenerArn;
  }

  /** The kinds that apply to one certificate: its own `export=` option, else EXPORTS. */
  kindsFor(name: string): readonly ExportKind[] {
    return this.certificates.find((spec) => spec.name === name)?.exports ?? this.config.defaults;
  }

  async export(input: ExportInput, progress: Progress, now: Date): Promise<ExportRecord[]> {
    const kinds = this.kindsFor(input.name);
    const records: ExportRecord[] = [];
    const at = now.toISOString();
    const serial = input.serial;
    const description = `ACME certificate "${input.name}" (${input.domains.join(', ')}): JSON with certificate, chain, fullchain, privateKey`;
    const document = (): string => handoverDocument(input.metadata, input.files);

    if (kinds.includes('secrets')) {
      const secretName = secretNameOf(this.config.secretPrefix, input.name);
      this.secrets ??= new SecretsManagerExport(this.aws, this.config.kmsKeyId);
      const written = await progress.step(
        `export to Secrets Manager ${secretName}`,
        () => this.secrets!.write(secretName, document(), description),
        (w) => `${w.created ? 'created' : 'new version'} ${w.versionId}`,
      );
      records.push({ kind: 'secretsmanager', id: written.arn, version: written.versionId, serial, exportedAt: at });
    }
    if (kinds.includes('ssm')) {
      const parameterName = parameterNameOf(this.config.ssmPrefix, input.name);
      this.ssm ??= new SsmExport(this.aws, this.config.kmsKeyId);
      const written = await progress.step(
        `export to SSM ${parameterName}`,
        () => this.ssm!.write(parameterName, document(), description),
        (w) => `version ${w.version}`,
      );
      records.push({ kind: 'ssm', id: written.name, version: String(written.version), serial, exportedAt: at });
    }
    const listenerArn = this.config.httpsListenerArn;
    const inListenerRegion = listenerArn === undefined ? undefined : input.acm.find((r) => r.region === regionOfArn(listenerArn));
    if (listenerArn !== undefined && inListenerRegion !== undefined) {
      this.listener ??= new ListenerAttachment({ ...this.aws, region: regionOfArn(listenerArn) }, listenerArn);
      await progress.step(
        'attach to the HTTPS listener',
        () => this.listener!.attach(inListenerRegion.certificateArn),
        (attached) => (attached ? 'attached' : 'already attached (same ARN)'),
      );
      records.push({ kind: 'listener', id: listenerArn, version: inListenerRegion.certificateArn, serial, exportedAt: at });
    }
    return records;
  }
}
