import { AddListenerCertificatesCommand, DescribeListenerCertificatesCommand, ElasticLoadBalancingV2Client, ListenerNotFoundException, RemoveListenerCertificatesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ErrorCodes, IssuerError, awsClientSettings, type AwsConfig } from '../../lib/core/index.js';
import { errorText, exportDenied } from './secrets-manager.js';

/**
 * Attaches certificates to an HTTPS listener as SNI certificates, each once. The listener keeps
 * its default (placeholder) certificate; a browser asking for one of our names gets ours.
 * Renewal re-imports into the same ARN, so after the first attach there is nothing to do; a
 * key-type change (a new ARN) and `delete` detach what was attached.
 */
export class ListenerAttachment {
  private readonly client: ElasticLoadBalancingV2Client;

  constructor(
    aws: AwsConfig,
    readonly listenerArn: string,
  ) {
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
      throw (
        exportDenied(cause, { ...request, during: `could not attach ${certificateArn} to ${this.listenerArn}`, notes: [hint] }) ??
        new IssuerError(ErrorCodes.EXPORT_FAILED, `could not attach ${certificateArn} to ${this.listenerArn}: ${errorText(cause)}`, { hint, cause })
      );
    }
  }

  /**
   * Takes one SNI certificate off the listener. 'not-attached' also when the listener itself is
   * gone (nothing to undo); 'default' when it is the listener's default certificate, which is the
   * listener's own setting (ours are only ever SNI), so it is left for a person to change.
   */
  async detach(certificateArn: string): Promise<'detached' | 'not-attached' | 'default'> {
    let request = { action: 'elasticloadbalancing:DescribeListenerCertificates', resource: '*' };
    try {
      const current = (await this.certificates()).find((c) => c.arn === certificateArn);
      if (current === undefined) return 'not-attached';
      if (current.isDefault) return 'default';
      request = { action: 'elasticloadbalancing:RemoveListenerCertificates', resource: this.listenerArn };
      await this.client.send(new RemoveListenerCertificatesCommand({ ListenerArn: this.listenerArn, Certificates: [{ CertificateArn: certificateArn }] }));
      return 'detached';
    } catch (cause) {
      if (cause instanceof ListenerNotFoundException) return 'not-attached';
      const hint = `detach it by hand (aws elbv2 remove-listener-certificates --listener-arn ${this.listenerArn} --certificates CertificateArn=${certificateArn}) or fix the cause and run the same command again`;
      throw (
        exportDenied(cause, { ...request, during: `could not detach ${certificateArn} from ${this.listenerArn}`, notes: [hint] }) ??
        new IssuerError(ErrorCodes.EXPORT_FAILED, `could not detach ${certificateArn} from ${this.listenerArn}: ${errorText(cause)}`, { hint, cause })
      );
    }
  }

  /** Every certificate ARN on the listener (default and SNI), across pages. */
  async attached(): Promise<string[]> {
    return (await this.certificates()).map((c) => c.arn);
  }

  private async certificates(): Promise<{ arn: string; isDefault: boolean }[]> {
    const found: { arn: string; isDefault: boolean }[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeListenerCertificatesCommand({ ListenerArn: this.listenerArn, Marker: marker }));
      found.push(...(page.Certificates ?? []).map((c) => ({ arn: c.CertificateArn ?? '', isDefault: c.IsDefault === true })));
      marker = page.NextMarker;
    } while (marker !== undefined && marker !== '');
    return found;
  }
}
