import type { PollSchedule } from '../../lib/core/index.js';
import type { AcmeClient } from './client.js';
import { caError } from './errors.js';
import { orderCertificate, resumeOrder } from './order.js';
import type { CertificateIssuer, IssuedCertificate, OrderHooks, OrderRequest, StepRunner } from './port.js';

/** The CertificateIssuer (port.ts) on our ACME client: HTTP-01 only, answered by the responder. */
export class AcmeIssuer implements CertificateIssuer {
  constructor(
    private readonly client: AcmeClient,
    /** How often to ask the CA whether an order is ready (ACME_POLL_MIN_MS). */
    private readonly poll: PollSchedule,
  ) {}

  issue(request: OrderRequest, step: StepRunner, hooks?: OrderHooks): Promise<IssuedCertificate> {
    return orderCertificate(this.client, this.poll, request, step, hooks);
  }

  resume(orderUrl: string, request: Pick<OrderRequest, 'domains' | 'profile'> & { readonly privateKeyPem: string }, step: StepRunner): Promise<IssuedCertificate | undefined> {
    return resumeOrder(this.client, this.poll, orderUrl, request, step);
  }

  async revoke(certPem: string, reason: number): Promise<void> {
    await this.client.revoke(certPem, reason).catch((error: unknown) => {
      throw caError('revoking the certificate', error);
    });
  }

  renewalInfo(certPem: string, now: Date) {
    return this.client.renewalInfo(certPem, now);
  }
}
