// What a Lambda function URL with AWS_IAM auth does before the function sees a request: reads the
// SigV4 Authorization header, finds the access key, signs the same request again with that key's
// secret (@smithy/signature-v4, the SDK's own signer) and compares; a request without a signature,
// with an unknown key, a stale date, another region or service, or a signature that differs is
// refused. The known keys are those moto's IAM holds for the local stack (scripts/local/bootstrap-iam.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from './sha256.js';

export interface KnownKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface SignedRequest {
  readonly method: string;
  /** The path as sent, percent-escapes kept. */
  readonly rawPath: string;
  readonly rawQueryString: string;
  /** Names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

export type Verdict = { readonly ok: true; readonly key: KnownKey } | { readonly ok: false; readonly why: string };

/** AWS accepts a signature dated within 5 minutes of its clock. */
const SKEW_MS = 5 * 60_000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** `20261202T070000Z` as a Date. */
function amzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m === null ? undefined : new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export async function verifySigV4(request: SignedRequest, options: { region: string; service: string; keys: (accessKeyId: string) => Promise<KnownKey | undefined>; now?: Date }): Promise<Verdict> {
  const header = request.headers['authorization'];
  if (header === undefined) return { ok: false, why: 'no Authorization header (the request is not signed)' };
  const m = AUTHORIZATION.exec(header.trim());
  if (m === null) return { ok: false, why: 'the Authorization header is not a SigV4 signature' };
  const [accessKeyId, day, region, service, signedList, signature] = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!];
  if (region !== options.region || service !== options.service) return { ok: false, why: `signed for ${region}/${service}, expected ${options.region}/${options.service}` };
  const date = amzDate(request.headers['x-amz-date']);
  const now = options.now ?? new Date();
  if (date === undefined || Math.abs(date.getTime() - now.getTime()) > SKEW_MS || !request.headers['x-amz-date']!.startsWith(day)) return { ok: false, why: 'x-amz-date is missing, malformed or not within 5 minutes' };
  const signed = signedList.split(';');
  if (!signed.includes('host')) return { ok: false, why: 'the signature does not cover the host header' };
  const key = await options.keys(accessKeyId);
  if (key === undefined) return { ok: false, why: `the access key ${accessKeyId} is not known` };
  if (key.sessionToken !== undefined && request.headers['x-amz-security-token'] !== key.sessionToken) return { ok: false, why: 'the session token does not belong to the access key' };
  // A stated payload hash must be the body's (only S3 takes UNSIGNED-PAYLOAD); absent, the signer hashes the body itself.
  const stated = request.headers['x-amz-content-sha256'];
  if (
    stated !== undefined &&
    stated !==
      createHash('sha256')
        .update(request.body ?? Buffer.alloc(0))
        .digest('hex')
  )
    return { ok: false, why: 'x-amz-content-sha256 is not the hash of the body' };
  // Exactly the headers the client signed, as it sent them: the signer then builds the same canonical request.
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, why: `the signed header ${name} is missing` };
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(request.rawQueryString)) {
    const had = query[name];
    query[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    region,
    service,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const host = headers['host']!;
  const resigned = await signer.sign(
    { method: request.method, protocol: 'https:', hostname: host, path: request.rawPath, query, headers, body: request.body ?? '' },
    { signingDate: date, signableHeaders: new Set(signed), unsignableHeaders: new Set(Object.keys(headers).filter((h) => !signed.includes(h))) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers['authorization'] ?? ''))?.[1] ?? '';
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) return { ok: false, why: 'the signature does not match' };
  return { ok: true, key };
}
