// A consumer of an ACM certificate that is not ours, as ACM's InUseBy sees it: a Classic Load
// Balancer with an HTTPS listener on the certificate, created in moto through the Classic ELB
// Query API (the one service moto registers in InUseBy; its ELBv2 listeners do not, and the SDK's
// Classic ELB client is not a dependency), signed with SigV4 as the CLI would.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import type { LocalStack } from './local-stack.js';
import { adminCredentials } from './aws.js';

/** SHA-256 (HMAC with a secret) for the signer, from node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

function bytes(data: SourceData): Uint8Array | string {
  return typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** Creates a Classic Load Balancer serving `certificateArn` on :443; returns its DNS name (what InUseBy lists). */
export async function classicLoadBalancerUsing(stack: Pick<LocalStack, 'env'>, name: string, certificateArn: string, subnetId: string): Promise<string> {
  const endpoint = new URL(stack.env.AWS_ENDPOINT_URL!);
  const body = new URLSearchParams({
    Action: 'CreateLoadBalancer',
    Version: '2012-06-01',
    LoadBalancerName: name,
    'Listeners.member.1.Protocol': 'HTTPS',
    'Listeners.member.1.LoadBalancerPort': '443',
    'Listeners.member.1.InstancePort': '443',
    'Listeners.member.1.SSLCertificateId': certificateArn,
    'Subnets.member.1': subnetId,
  }).toString();
  const signer = new SignatureV4({ service: 'elasticloadbalancing', region: stack.env.AWS_REGION!, credentials: adminCredentials(stack), sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path: '/',
    headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const response = await fetch(new URL('/', endpoint), { method: 'POST', headers: signed.headers, body });
  const text = await response.text();
  const dnsName = /<DNSName>([^<]+)<\/DNSName>/.exec(text)?.[1];
  if (response.status !== 200 || dnsName === undefined) throw new Error(`CreateLoadBalancer: HTTP ${response.status} ${text}`);
  return dnsName;
}
