import type { KeyType } from '../../lib/core/index.js';
import type { RenewalInfo } from './directory.js';

/**
 * What the certificate lifecycle (container/certificates, container/commands) asks of a CA, and
 * all it knows of one: CertMagic's Issuer. The ACME client (issuer.ts) implements it; nothing in
 * the lifecycle imports the client.
 */
export interface CertificateIssuer {
  /** Orders, validates, finalizes and downloads one certificate for the names. */
  issue(request: OrderRequest, step: StepRunner, hooks?: OrderHooks): Promise<IssuedCertificate>;
  /** Finishes an order an earlier run saved before finalizing (order.ts resumeOrder); undefined when it cannot give a certificate for this key. */
  resume(orderUrl: string, request: Pick<OrderRequest, 'domains' | 'profile'> & { readonly privateKeyPem: string }, step: StepRunner): Promise<IssuedCertificate | undefined>;
  /** Revokes a certificate this account holds; `reason` is an RFC 5280 CRLReason code. */
  revoke(certPem: string, reason: number): Promise<void>;
  /** The CA's suggested renewal window (RFC 9773), or undefined when it offers none. */
  renewalInfo(certPem: string, now: Date): Promise<RenewalInfo | undefined>;
}

export interface OrderHooks {
  /** The CA refused `replaces` (alreadyReplaced, …): the order was placed without it. */
  readonly onReplacesRefused?: ((detail: string) => void) | undefined;
  /** Called with the order (its URL, and the CertID it replaces) once its names are valid, and awaited before finalize (the caller saves it). */
  readonly beforeFinalize?: ((order: { readonly url: string; readonly replaces: string | undefined }) => Promise<void>) | undefined;
}

/** Runs one named step of the issuance (Progress.step): timed and reported. */
export type StepRunner = <T>(title: string, run: () => Promise<T>, describe?: (value: T) => string) => Promise<T>;

export interface OrderRequest {
  readonly domains: readonly string[];
  readonly keyType: KeyType;
  /** ACME profile name, sent only when set (the CA must list it in its directory). */
  readonly profile: string | undefined;
  /** ARI CertID of the certificate being replaced (RFC 9773 §5). */
  readonly replaces: string | undefined;
  /** The directory of the CA that issued the certificate `replaces` names; with several CAs only that one is sent it. */
  readonly replacesAt?: string | undefined;
  /** An existing key of `keyType` to order with (renewals reuse the live key); a new one when undefined. */
  readonly privateKeyPem?: string | undefined;
}

export interface IssuedCertificate {
  /** Leaf first, then the chain, as the CA sent it. */
  readonly fullchainPem: string;
  /** The certificate's private key (PKCS#8 PEM): the one passed in, else a fresh one. Never logged. */
  readonly privateKeyPem: string;
  readonly orderUrl: string;
  /** The profile the CA issued under, as its order says (a CA given none picks one); the requested one when the order does not say. */
  readonly profile: string | undefined;
  /** The directory URL of the CA that issued it (one of the certificate's list, after any failover). */
  readonly directoryUrl?: string | undefined;
  /** Other chains the CA offered (Link rel="alternate"), fetched; none is chosen yet. */
  readonly alternateChains: readonly string[];
}
