import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCodes, IssuerError, type ExternalAccountBinding } from '../../lib/core/index.js';
import { certIdOf, fetchRenewalInfo, type DirectoryInfo, type RenewalInfo } from './directory.js';
import { externalAccountBinding, publicJwk, signJws, type Signer } from './jws.js';
import { AcmeProblem, problemOf } from './problem.js';
import { MAX_SIGNED_REQUESTS_IN_FLIGHT, NoncePool, Slots, type RequestPacingStats } from './request-pacing.js';
import { caAgent } from './tls.js';
import { caRequest, type CaRequest } from './transport.js';

/** Enough that a CA rejecting most nonces still gets through (0.6^21 ≈ 2e-5 per request). */
export const BAD_NONCE_RETRIES = 20;

export interface AcmeClientOptions {
  /** The directory this run already read (directory.ts): the client never reads it again. */
  readonly directory: DirectoryInfo;
  readonly accountKey: KeyObject;
  /** External account binding for newAccount (RFC 8555 §7.3.4), when the CA requires one. */
  readonly eab?: ExternalAccountBinding | undefined;
  /** @default caRequest(caAgent()): the one transport to the CA (transport.ts) */
  readonly send?: CaRequest | undefined;
  /** @default MAX_SIGNED_REQUESTS_IN_FLIGHT */
  readonly maxInFlight?: number | undefined;
  /** One line per request: method, URL, status, nonces; never a key or a payload. @default stderr when ACME_CLIENT_DEBUG=true */
  readonly trace?: ((line: string) => void) | undefined;
  /** @default () => new Date() */
  readonly now?: (() => Date) | undefined;
}

/** A resource the CA answered with: its URL (Location for a created one), body and headers. */
export interface AcmeAnswer<T> {
  readonly url: string;
  readonly body: T;
  readonly headers: IncomingHttpHeaders;
}

export interface AcmeAccountResource {
  readonly status?: string;
  readonly contact?: string[];
  readonly orders?: string;
}

export interface AcmeOrderResource {
  readonly status: string;
  readonly identifiers: { type: string; value: string }[];
  readonly authorizations: string[];
  readonly finalize: string;
  readonly certificate?: string;
  readonly error?: { type?: string; detail?: string };
  readonly profile?: string;
}

export interface AcmeChallengeResource {
  readonly type: string;
  readonly url: string;
  readonly status: string;
  readonly token?: string;
  readonly error?: { type?: string; detail?: string };
  readonly validationRecord?: { url?: string; addressesResolved?: string[]; addressUsed?: string }[];
}

export interface AcmeAuthorizationResource {
  readonly status: string;
  readonly identifier: { type: string; value: string };
  readonly challenges: AcmeChallengeResource[];
}

export interface DownloadedCertificate {
  /** Leaf first, then the chain, as the CA sent it. */
  readonly pem: string;
  /** Other chains the CA offers for the same certificate (RFC 8555 §7.4.2, Link rel="alternate"). */
  readonly alternates: readonly string[];
}

/**
 * An ACME client (RFC 8555) on node:crypto and our transport: every signed request takes a nonce
 * from the pool fed by every answer, waits for one of a few slots, and is sent again with a fresh
 * nonce when the CA answers badNonce (§6.5). Errors are AcmeProblems (problem.ts) or the
 * transport's network errors; errors.ts turns either into what the user reads.
 */
export class AcmeClient {
  readonly directory: DirectoryInfo;
  /** Nonces reused and fetched, most signed requests in flight at once. */
  readonly stats: RequestPacingStats = { reused: 0, fetched: 0, peakInFlight: 0 };
  private accountKey: KeyObject;
  private kid: string | undefined;
  private readonly eab: ExternalAccountBinding | undefined;
  private readonly send: CaRequest;
  private readonly nonces: NoncePool;
  private readonly slots: Slots;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly now: () => Date;

  constructor(options: AcmeClientOptions) {
    this.directory = options.directory;
    this.accountKey = options.accountKey;
    this.eab = options.eab;
    this.send = options.send ?? caRequest(caAgent());
    this.slots = new Slots(options.maxInFlight ?? MAX_SIGNED_REQUESTS_IN_FLIGHT);
    this.trace = options.trace ?? (process.env.ACME_CLIENT_DEBUG === 'true' ? (line) => process.stderr.write(`acme: ${line}\n`) : undefined);
    this.now = options.now ?? (() => new Date());
    this.nonces = new NoncePool(() => this.newNonce(), this.stats);
  }

  /** The account URL (the `kid` of every request), known once findAccount or createAccount found it. */
  get accountUrl(): string {
    if (this.kid === undefined) throw new TypeError('no ACME account yet: call findAccount or createAccount first');
    return this.kid;
  }

  /** POST newAccount with onlyReturnExisting (§7.3.1): the account of this key, or undefined when the CA has none. */
  async findAccount(): Promise<AcmeAnswer<AcmeAccountResource> | undefined> {
    try {
      return this.rememberAccount(await this.post(this.endpoint('newAccount'), { onlyReturnExisting: true }, 'jwk'));
    } catch (error) {
      if (error instanceof AcmeProblem && error.kind === 'accountDoesNotExist') return undefined;
      throw error;
    }
  }

  /** Registers the key (§7.3), with the external account binding when one is configured. */
  async createAccount(contact: readonly string[]): Promise<AcmeAnswer<AcmeAccountResource>> {
    const url = this.endpoint('newAccount');
    const payload = {
      termsOfServiceAgreed: true,
      ...(contact.length > 0 ? { contact: [...contact] } : {}),
      ...(this.eab === undefined ? {} : { externalAccountBinding: externalAccountBinding(this.eab, this.accountKey, url) }),
    };
    return this.rememberAccount(await this.post(url, payload, 'jwk'));
  }

  /** §7.3.2: replaces the contact list. */
  async updateAccount(contact: readonly string[]): Promise<AcmeAnswer<AcmeAccountResource>> {
    return this.post(this.accountUrl, { contact: [...contact] });
  }

  /** §7.3.5: the inner JWS, signed by the new key, names the account and the old key; afterwards the new key signs. */
  async changeKey(newKey: KeyObject): Promise<void> {
    const url = this.endpoint('keyChange');
    const inner = signJws(newKey, { jwk: true }, url, undefined, { account: this.accountUrl, oldKey: publicJwk(this.accountKey) });
    await this.post(url, inner);
    this.accountKey = newKey;
  }

  /** §7.3.6: the account can never be used again. */
  async deactivateAccount(): Promise<AcmeAnswer<AcmeAccountResource>> {
    return this.post(this.accountUrl, { status: 'deactivated' });
  }

  /** §7.4 with draft-ietf-acme-profiles `profile` and RFC 9773 `replaces`, each sent only when set. */
  async newOrder(request: { domains: readonly string[]; profile?: string | undefined; replaces?: string | undefined }): Promise<AcmeAnswer<AcmeOrderResource>> {
    const payload = {
      identifiers: request.domains.map((value) => ({ type: 'dns', value })),
      ...(request.profile === undefined ? {} : { profile: request.profile }),
      ...(request.replaces === undefined ? {} : { replaces: request.replaces }),
    };
    return this.post(this.endpoint('newOrder'), payload);
  }

  /** POST-as-GET (§6.3) of an order, authorization, challenge or account. */
  async fetch<T>(url: string): Promise<AcmeAnswer<T>> {
    return this.post(url, undefined);
  }

  /** §7.5.1: tells the CA to validate (our responder already answers for the account). */
  async answerChallenge(url: string): Promise<AcmeAnswer<AcmeChallengeResource>> {
    return this.post(url, {});
  }

  /** §7.4: submits the CSR; the order may come back `processing` with a Retry-After (poll.ts waits). */
  async finalize(order: AcmeAnswer<AcmeOrderResource>, csrPem: string): Promise<AcmeAnswer<AcmeOrderResource>> {
    const answer = await this.post<AcmeOrderResource>(order.body.finalize, { csr: derOf(csrPem).toString('base64url') });
    return { ...answer, url: order.url };
  }

  /** §7.4.2: the PEM chain, and the URLs of any alternate chains. */
  async downloadCertificate(url: string): Promise<DownloadedCertificate> {
    const answer = await this.post<unknown>(url, undefined, 'kid', { accept: 'application/pem-certificate-chain' });
    if (typeof answer.body !== 'string' || !answer.body.includes('-----BEGIN CERTIFICATE-----')) {
      throw new IssuerError(ErrorCodes.ORDER_FAILED, `the CA's certificate at ${url} is not a PEM chain`, { hint: 'the CA answered something else; run again, and report it to the CA if it persists' });
    }
    return { pem: answer.body, alternates: alternateLinks(answer.headers.link, url) };
  }

  /** Every alternate chain of a certificate (fetching them; choosing one is the caller's). */
  async alternateChains(certificate: DownloadedCertificate): Promise<string[]> {
    return Promise.all(certificate.alternates.map(async (url) => (await this.downloadCertificate(url)).pem));
  }

  /** §7.6, signed by the account key. `reason` is an RFC 5280 CRLReason code. */
  async revoke(certPem: string, reason: number): Promise<void> {
    await this.post(this.endpoint('revokeCert'), { certificate: derOf(certPem).toString('base64url'), reason });
  }

  /** RFC 9773 §4.2, unsigned; undefined when the CA has no ARI or the certificate no AKI. */
  async renewalInfo(certPem: string, now: Date): Promise<RenewalInfo | undefined> {
    const certId = certIdOf(certPem);
    return certId === undefined ? undefined : fetchRenewalInfo(this.directory, certId, now);
  }

  /** A signed POST (§6.2): a nonce from the pool, one of the slots, badNonce sent again with a fresh nonce. */
  private async post<T>(url: string, payload: unknown, signer: 'kid' | 'jwk' = 'kid', headers: Record<string, string> = {}): Promise<AcmeAnswer<T>> {
    const by: Signer = signer === 'jwk' ? { jwk: true } : { kid: this.accountUrl };
    const release = await this.slots.acquire();
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.slots.inUse);
    try {
      for (let attempt = 0; ; attempt++) {
        const nonce = await this.nonces.take();
        const response = await this.send(url, 'POST', { data: signJws(this.accountKey, by, url, nonce, payload), headers });
        const next = response.headers['replay-nonce'];
        this.nonces.keep(next);
        this.trace?.(`POST ${url} nonce=${nonce} -> ${response.status} replay-nonce=${typeof next === 'string' ? next : '(none)'}`);
        if (response.status < 400) {
          const location = response.headers.location;
          return { url: typeof location === 'string' ? new URL(location, url).toString() : url, body: response.data as T, headers: response.headers };
        }
        const problem = problemOf(response, url, this.now());
        if (problem.kind === 'badNonce' && attempt < BAD_NONCE_RETRIES) continue;
        throw problem;
      }
    } finally {
      release();
    }
  }

  /** HEAD newNonce (§7.2), only when the pool is empty. */
  private async newNonce(): Promise<string> {
    const url = this.endpoint('newNonce');
    const response = await this.send(url, 'HEAD');
    const nonce = response.headers['replay-nonce'];
    this.trace?.(`HEAD ${url} -> ${response.status} replay-nonce=${typeof nonce === 'string' ? nonce : '(none)'}`);
    if (typeof nonce !== 'string' || nonce === '') {
      if (response.status >= 400) throw problemOf(response, url, this.now());
      throw new Error(`${url} answered HTTP ${response.status} without a Replay-Nonce`);
    }
    return nonce;
  }

  private rememberAccount(answer: AcmeAnswer<AcmeAccountResource>): AcmeAnswer<AcmeAccountResource> {
    if (typeof answer.headers.location !== 'string') throw new Error('the CA answered newAccount without a Location header (the account URL)');
    this.kid = answer.url;
    return answer;
  }

  private endpoint(name: 'newNonce' | 'newAccount' | 'newOrder' | 'revokeCert' | 'keyChange'): string {
    const url = this.directory.resource[name];
    if (typeof url !== 'string') {
      throw new IssuerError(ErrorCodes.CA_UNAVAILABLE, `the CA directory ${this.directory.url} has no ${name}`, { hint: 'check ACME_DIRECTORY names an ACME (RFC 8555) directory' });
    }
    return url;
  }
}

/** The DER inside a PEM (a CSR or the leaf of a chain). */
function derOf(pem: string): Buffer {
  const match = /-----BEGIN [A-Z ]+-----([\s\S]+?)-----END [A-Z ]+-----/.exec(pem);
  if (match === null) throw new TypeError('not a PEM');
  return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
}

/** The rel="alternate" targets of a Link header, resolved against the request URL. */
export function alternateLinks(header: string | string[] | undefined, base: string): string[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  return [...text.matchAll(/<([^>]+)>\s*;\s*rel="?alternate"?/gi)].map((m) => new URL(m[1]!, base).toString());
}
