/**
 * Why an HTTP-01 validation cannot work, named from what was observed: by our own pre-flight
 * probe (DNS answers, what each address did on the challenge URL) or by the CA (its problem
 * document). Both end in the same small vocabulary of causes, each with a fix, so the person
 * reads the same words whichever side found the fault, and metrics count by the same names.
 * Pure: no network, no clock.
 */

export const Causes = {
  /** The name has no A and no AAAA record. */
  DNS_NO_RECORD: 'dns-no-record',
  /** The resolver failed (SERVFAIL, timeout, refused). */
  DNS_ERROR: 'dns-error',
  /** The name resolves to an address that is not the ALB's (and the probe failed there). */
  WRONG_ADDRESS: 'wrong-address',
  /** Nothing listens on the HTTP port at the address. */
  CONNECTION_REFUSED: 'connection-refused',
  /** No answer in time: packets dropped (security group, NACL, firewall) or a hung server. */
  TIMEOUT: 'timeout',
  /** Another network error (unreachable, reset). */
  CONNECTION_ERROR: 'connection-error',
  /** The challenge URL answered with a redirect. */
  REDIRECT: 'redirect',
  /** Something other than our responder answered (other body or status). */
  WRONG_ANSWER: 'wrong-answer',
  /** A responder answered in our format but with another account's thumbprint. */
  OTHER_ACCOUNT: 'other-account',
  /** Our responder answered 503: it cannot read the account's public JWK. */
  RESPONDER_UNAVAILABLE: 'responder-unavailable',
  /** A CAA record forbids our CA, our account or HTTP-01 (RFC 8659, RFC 8657). */
  CAA: 'caa',
  /** The CA said something we do not recognise. */
  UNKNOWN: 'unknown',
} as const;
export type Cause = (typeof Causes)[keyof typeof Causes];

export const CAUSES: readonly Cause[] = Object.values(Causes);

/** What a person needs: the cause in words, and what to do about it. */
export interface Diagnosis {
  readonly cause: Cause;
  /** One line: what was found, with the addresses and statuses that prove it. */
  readonly summary: string;
  /** What to do, concretely. */
  readonly fix: string;
}

const FIX: Record<Cause, string> = {
  'dns-no-record': 'create a CNAME record for the name pointing at the ALB DNS name (or a Route 53 alias A/AAAA to the ALB), wait for its TTL, then run again',
  'dns-error': "the name's DNS servers did not answer cleanly: check the delegation (NS records) and that the authoritative servers answer for this name, then run again",
  'wrong-address': 'point the name at the ALB (CNAME to the ALB DNS name) and remove stale A/AAAA records; an AAAA record left pointing elsewhere is common, and CAs try IPv6 first',
  'connection-refused': 'nothing accepts connections on the HTTP port there: make sure the name points at the ALB and the ALB has its :80 listener (the stack creates it)',
  timeout: 'port 80 must be open to the whole internet (CAs validate from several places): allow 0.0.0.0/0 and ::/0 on tcp/80 in the ALB security group and network ACLs, and check the name points at the ALB',
  'connection-error': 'the address cannot be reached on the HTTP port: check that the name points at the ALB and that routing to it works (internet-facing ALB, public subnets)',
  redirect:
    'the challenge path must be answered on plain HTTP, not redirected: give the ALB listener rule for /.well-known/acme-challenge/* a higher priority than any HTTP-to-HTTPS redirect, and let a CDN in front pass that path to the ALB over HTTP',
  'wrong-answer': 'another server or rule answered: point the name at the ALB, and make the :80 listener forward /.well-known/acme-challenge/* to the challenge responder (no CDN or default action answering it)',
  'other-account': "the responder serves another account's thumbprint: its CERT_BUCKET must be the issuer's bucket; after an account key change wait JWK_REFRESH_SECONDS (the responder's cache) and run again",
  'responder-unavailable': "the responder cannot read account/jwk.json: run `register` to publish it, and check the Lambda's logs (ERR_STORAGE_UNAVAILABLE), its role and the bucket's KMS key",
  caa: 'change the CAA record named above (at the name or the parent it was found at) to allow this CA, this account and http-01: `register` prints the exact record (`0 issue "<CA>; accounturi=<account URL>; validationmethods=http-01"`, also in s3://CERT_BUCKET/account/caa.json); wait for its TTL, then run again',
  unknown: "read the CA's detail above; run `health` to check the whole path, and see docs/troubleshooting.md",
};

const TITLE: Record<Cause, string> = {
  'dns-no-record': 'no DNS record',
  'dns-error': 'DNS lookup failed',
  'wrong-address': 'DNS points at an address that is not the ALB',
  'connection-refused': 'connection refused',
  timeout: 'timeout',
  'connection-error': 'network error',
  redirect: 'redirect',
  'wrong-answer': 'wrong answer from another server',
  'other-account': "answer with another account's thumbprint",
  'responder-unavailable': 'responder unavailable',
  caa: 'CAA forbids this CA, account or method',
  unknown: 'unrecognised CA problem',
};

export function causeTitle(cause: Cause): string {
  return TITLE[cause];
}

export function causeFix(cause: Cause): string {
  return FIX[cause];
}

/** What one address did when asked for the probe URL. */
export type AddressProbe =
  | { readonly address: string; readonly outcome: 'refused' | 'timeout'; readonly durationMs?: number }
  | { readonly address: string; readonly outcome: 'error'; readonly errorCode: string }
  | {
      readonly address: string;
      readonly outcome: 'response';
      readonly status: number;
      /** The first bytes of the body, as text. */
      readonly body: string;
      readonly location?: string | undefined;
      readonly retryAfter?: string | undefined;
    };

/** Everything the pre-flight found for one name. */
export interface NameObservation {
  readonly domain: string;
  readonly port: number;
  readonly addresses: readonly string[];
  /** The resolver's error code when it failed other than "no such record". */
  readonly dnsError?: string | undefined;
  /** The ALB's addresses; empty when not configured (then addresses are not compared). */
  readonly expectedAddresses: readonly string[];
  readonly probes: readonly AddressProbe[];
  readonly probeToken: string;
  readonly expectedAnswer: string;
}

const NO_RECORD_CODES = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN', 'ENONAME']);

/** undefined when every address answered with the expected key authorization. */
export function diagnoseObservation(o: NameObservation): Diagnosis | undefined {
  if (o.addresses.length === 0) {
    if (o.dnsError === undefined || NO_RECORD_CODES.has(o.dnsError)) {
      return diagnosis('dns-no-record', `${o.domain} has no A or AAAA record`);
    }
    return diagnosis('dns-error', `looking up ${o.domain} failed (${o.dnsError})`);
  }
  const failing = o.probes.find((p) => !answered(p, o.expectedAnswer));
  if (failing === undefined) return undefined;
  const at = `${hostPort(failing.address, o.port)}`;
  const what = describeProbe(failing, o);
  if (o.expectedAddresses.length > 0 && !o.expectedAddresses.includes(failing.address)) {
    return diagnosis('wrong-address', `${o.domain} resolves to ${o.addresses.join(', ')}; ${failing.address} is not an ALB address (${o.expectedAddresses.join(', ')}), and there ${what}`);
  }
  switch (failing.outcome) {
    case 'refused':
      return diagnosis('connection-refused', `connection refused at ${at} (${o.domain} resolves to ${o.addresses.join(', ')})`);
    case 'timeout':
      return diagnosis('timeout', `no answer from ${at} within ${failing.durationMs ?? '?'} ms`);
    case 'error':
      return diagnosis('connection-error', `${failing.errorCode} connecting to ${at}`);
    case 'response': {
      if (failing.status >= 300 && failing.status < 400) {
        return diagnosis('redirect', `${at} answered ${failing.status} redirecting to ${failing.location ?? '(no Location header)'}`);
      }
      const ours = new RegExp(`^${escape(o.probeToken)}\\.[A-Za-z0-9_-]{43}$`);
      if (failing.status === 200 && ours.test(failing.body.trim())) {
        return diagnosis('other-account', `${at} answered in our format but with the thumbprint ${failing.body.trim().slice(o.probeToken.length + 1)}, not ours`);
      }
      if (failing.status === 503 && failing.retryAfter !== undefined) {
        return diagnosis('responder-unavailable', `${at} answered 503 with Retry-After (the responder cannot read the account's public JWK)`);
      }
      return diagnosis('wrong-answer', `${at} ${what}`);
    }
  }
}

function answered(probe: AddressProbe, expected: string): boolean {
  return probe.outcome === 'response' && probe.status === 200 && probe.body.trim() === expected;
}

function describeProbe(probe: AddressProbe, o: NameObservation): string {
  switch (probe.outcome) {
    case 'refused':
      return 'the connection was refused';
    case 'timeout':
      return `nothing answered within ${probe.durationMs ?? '?'} ms`;
    case 'error':
      return `the connection failed (${probe.errorCode})`;
    case 'response':
      if (probe.status >= 300 && probe.status < 400) return `the answer was ${probe.status} redirecting to ${probe.location ?? '(none)'}`;
      return `the answer was HTTP ${probe.status} "${truncate(probe.body.trim(), 80)}" instead of the key authorization for probe ${truncate(o.probeToken, 12)}`;
  }
}

/** What the CA reported about one refused name (RFC 8555 problem document + validation record). */
export interface CaProblem {
  readonly problemType: string | undefined;
  readonly detail: string;
  /** The name validated: a URL in the detail on another host, scheme or path means the CA followed a redirect. */
  readonly domain?: string | undefined;
}

/**
 * Names the cause from the CA's problem. Wording differs between CAs: this knows Let's Encrypt
 * (Boulder) and Pebble, and falls back on the problem type.
 */
export function diagnoseCaProblem(problem: CaProblem): Diagnosis {
  const d = problem.detail;
  const type = (problem.problemType ?? '').replace('urn:ietf:params:acme:error:', '');
  const rules: readonly [RegExp, Cause][] = [
    // Boulder: "CAA record for example.com prevents issuance"; before dns-error, which a failed CAA lookup is.
    [/CAA record.*prevents issuance|CAA.*(forbid|does not allow|not authorized)/i, 'caa'],
    [/NXDOMAIN|could not resolve|no valid (A|AAAA|IP)|No valid IP addresses|NODATA|check that a DNS record exists|no such host/i, 'dns-no-record'],
    [/DNS problem|SERVFAIL|looking up (A|AAAA|CAA)/i, 'dns-error'],
    [/connection refused/i, 'connection-refused'],
    [/redirect/i, 'redirect'],
    [/time(d)? ?out|deadline exceeded/i, 'timeout'],
    [/did not match|key authorization|Invalid response from|Non-200 status|returned \d{3}|unexpected status/i, 'wrong-answer'],
    [/connection reset|no route to host|network is unreachable|EHOSTUNREACH|ECONNRESET/i, 'connection-error'],
  ];
  const fetched = urlFromDetail(d);
  if (problem.domain !== undefined && fetched !== undefined && isRedirected(fetched, problem.domain)) {
    return diagnosis('redirect', `the CA was redirected to ${fetched}`);
  }
  // The type is the CA's own word for CAA: whatever its detail says of DNS.
  const matched = type === 'caa' ? 'caa' : rules.find(([pattern]) => pattern.test(d))?.[1];
  const cause: Cause = matched ?? (type === 'dns' ? 'dns-error' : type === 'connection' ? 'connection-error' : type === 'unauthorized' ? 'wrong-answer' : 'unknown');
  return diagnosis(cause, causeTitle(cause));
}

/** The HTTP status the CA saw, when its detail says (Boulder: "...: 404", Pebble: "returned 404"). */
export function statusFromDetail(detail: string): number | undefined {
  const match = /(?:returned|status(?: code)?|Invalid response from \S+:?)\s*(\d{3})\b/i.exec(detail);
  return match === null ? undefined : Number(match[1]);
}

/** The URL the CA fetched, when its detail quotes it (Pebble: Get "http://..."). */
export function urlFromDetail(detail: string): string | undefined {
  return /https?:\/\/[^\s"']+/.exec(detail)?.[0];
}

/** The address the CA connected to, when its detail says (Go: "dial tcp 127.0.0.2:80: ..."). */
export function addressFromDetail(detail: string): string | undefined {
  const match = /dial tcp (?:\[([0-9a-fA-F:]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d+/.exec(detail);
  return match?.[1] ?? match?.[2];
}

function isRedirected(url: string, domain: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol !== 'http:' || parsed.hostname.toLowerCase() !== domain.toLowerCase() || !parsed.pathname.startsWith('/.well-known/acme-challenge/');
  } catch {
    return false;
  }
}

function diagnosis(cause: Cause, summary: string): Diagnosis {
  return { cause, summary, fix: FIX[cause] };
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}…`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
