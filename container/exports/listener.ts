import {
  AddListenerCertificatesCommand,
  DescribeListenerCertificatesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ErrorCodes, IssuerError, awsClientSettings, type AwsConfig } from '../../lib/core/index.js';
import { errorText, exportDenied } from './secrets-manager.js';

/**
 * Attaches certificates to an HTTPS listener as SNI certificates, each once. The listener keeps
 * its default (placeholder) certificate; a browser asking for one of our names gets ours.
 * Renewal re-imports into the same ARN, so after the first attach there is nothing to do.
 */
export class ListenerAttachment {
  private readonly client: ElasticLoadBalancingV2Client;

  constructor(aws: AwsConfig, readonly listenerArn: string) {
    this.client = new ElasticLoadBalancingV2Client({ ...awsClientSettings(aws), maxAttempts: 3 });
  }

  /** true when this call attached it, false when it already was. */
  async attach(certificateArn: string): Promise<boolean> {
    let request = { action: 'elasticloadbalancing:DescribeListenerCertificates', resource: '*' };
    try {
      if ((await this.attached()).includes(certificateArn)) return false;
      request = { action: 'elasticloadbalancing:AddListenerCertificates', resource: this.listenerArn };
      await this.client.send(new AddListenerCertificatesCommand({ ListenerArn: this.listenerArn, Certificates: [{ CertificateArn: certificateArn }] }));
      return true;
    } catch (cause) {
      const hint = 'the certificate is in ACM; attach it by hand (aws elbv2 add-listener-certificates) or fix the cause and run renew --force NAME';
      throw exportDenied(cause, { ...request, during: `could not attach ${certificateArn} to ${this.listenerArn}`, notes: [hint] }) ??
        new IssuerError(ErrorCodes.EXPORT_FAILED, `could not attach ${certificateArn} to ${this.listenerArn}: ${errorText(cause)}`, { hint, cause });
    }
  }

  /** Every certificate ARN on the listener (default and SNI), across pages. */
  async attached(): Promise<string[]> {
    const arns: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeListenerCertificatesCommand({ ListenerArn: this.listenerArn, Marker: marker }));
      arns.push(...(page.Certificates ?? []).map((c) => c.CertificateArn ?? ''));
      marker = page.NextMarker;
    } while (marker !== undefined && marker !== '');
    return arns;
  }
}
