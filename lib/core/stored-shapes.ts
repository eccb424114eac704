import { ErrorCodes, IssuerError } from './errors.js';
import { EXPORT_KINDS } from './exports.js';
import { isValidCertName } from './layout.js';
import { CERTIFICATE_STATES } from './records.js';
import { KEY_TYPES } from './rules.js';

/**
 * The shape of every JSON object the issuer stores, checked on each read: valid JSON of the
 * wrong shape (a field missing, a date that is not one, a state we do not know) is corrupt
 * storage (ERR_STORAGE_CORRUPT, exit 5) naming the object and the field, never a crash further
 * on. Fields we do not know are allowed, so an object written by a newer issuer still reads.
 */
export type Shape = (value: unknown, field: string) => void;

class ShapeMismatch extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly value: unknown,
  ) {
    super(`${field}: expected ${expected}`);
  }
}

function described(value: unknown): string {
  if (value === undefined) return 'it is missing';
  if (value === null) return 'got null';
  if (Array.isArray(value)) return 'got an array';
  if (typeof value === 'string') return `got "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'got an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `got ${typeof value} ${value}`;
  return `got ${typeof value}`;
}

const check =
  (expected: string, ok: (value: unknown) => boolean): Shape =>
  (value, field) => {
    if (!ok(value)) throw new ShapeMismatch(field, expected, value);
  };

const join = (field: string, member: string) => (field === '' ? member : `${field}.${member}`);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const text = check('a string', (v) => typeof v === 'string');
export const nonEmpty = check('a non-empty string', (v) => typeof v === 'string' && v !== '');
export const date = check('an ISO 8601 date', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)));
export const count = check('a whole number, 0 or more', (v) => Number.isInteger(v) && (v as number) >= 0);
export const number = check('a number', (v) => typeof v === 'number' && Number.isFinite(v));
export const flag = check('true or false', (v) => typeof v === 'boolean');
export const certName = check('a certificate name', (v) => typeof v === 'string' && isValidCertName(v));

export function oneOf(values: readonly string[]): Shape {
  return check(`one of ${values.join(', ')}`, (v) => typeof v === 'string' && values.includes(v));
}

/** Absent is fine; present must fit. */
export function optional(shape: Shape): Shape {
  return (value, field) => {
    if (value !== undefined) shape(value, field);
  };
}

export function arrayOf(item: Shape, options: { nonEmpty?: boolean } = {}): Shape {
  return (value, field) => {
    if (!Array.isArray(value) || (options.nonEmpty === true && value.length === 0)) {
      throw new ShapeMismatch(field, options.nonEmpty === true ? 'a non-empty array' : 'an array', value);
    }
    value.forEach((element, i) => item(element, `${field}[${i}]`));
  };
}

/** A JSON object used as a map: every value fits `item`. */
export function mapOf(item: Shape): Shape {
  return (value, field) => {
    if (!isObject(value)) throw new ShapeMismatch(field, 'an object', value);
    for (const [key, member] of Object.entries(value)) item(member, join(field, key));
  };
}

export function object(fields: Readonly<Record<string, Shape>>): Shape {
  return (value, field) => {
    if (!isObject(value)) throw new ShapeMismatch(field, 'a JSON object', value);
    for (const [name, shape] of Object.entries(fields)) shape(value[name], join(field, name));
  };
}

/**
 * How to get a damaged or lost object back: the bucket is versioned, so its earlier versions are
 * still there (the commands are the AWS CLI's; CERT_BUCKET is the bucket the stack made).
 */
export function restoreHint(key: string): string {
  return (
    `restore an earlier version of ${key} (the bucket is versioned): ` +
    `aws s3api list-object-versions --bucket "$CERT_BUCKET" --prefix ${key} lists them; ` +
    `aws s3api copy-object --bucket "$CERT_BUCKET" --key ${key} --copy-source "$CERT_BUCKET/${key}?versionId=VERSION" puts one back`
  );
}

export function corruptObject(key: string, why: string, options: { hint?: string; cause?: unknown } = {}): IssuerError {
  return new IssuerError(ErrorCodes.STORAGE_CORRUPT, `s3 object ${key} is corrupt: ${why}`, {
    hint: options.hint ?? `${restoreHint(key)}; it was left untouched`,
    cause: options.cause,
  });
}

/** Why a parsed value is not of `shape` ("field F: expected …, got …"), or undefined when it is. */
export function shapeProblem(value: unknown, shape: Shape): string | undefined {
  try {
    shape(value, '');
    return undefined;
  } catch (error) {
    if (!(error instanceof ShapeMismatch)) throw error;
    return error.field === '' ? `expected ${error.expected}, ${described(error.value)}` : `field ${error.field}: expected ${error.expected}, ${described(error.value)}`;
  }
}

/** Parses a stored JSON object and checks its shape; the error names the object and the field. */
export function parseStored<T>(key: string, body: string, shape: Shape, hint?: string): T {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw corruptObject(key, 'it is not valid JSON', { hint, cause });
  }
  const why = shapeProblem(value, shape);
  if (why !== undefined) throw corruptObject(key, why, { hint });
  return value as T;
}

/** The older check by required fields alone, kept for readers not yet given a shape. */
export function parseRecord<T>(key: string, body: string, required: readonly (keyof T & string)[]): T {
  const present = check('a value', (v) => v !== undefined);
  return parseStored<T>(key, body, object(Object.fromEntries(required.map((field) => [field, present]))));
}

// ---- the stored objects (docs/architecture.md, "S3 layout") ----

const acmRecord = object({ region: nonEmpty, certificateArn: nonEmpty, serial: nonEmpty, importedAt: date });
const retiredAcmRecord = object({ region: nonEmpty, certificateArn: nonEmpty, replacedBy: nonEmpty, retiredAt: date, inUseBy: arrayOf(text) });

const exportRecord = object({ kind: oneOf(['secretsmanager', 'ssm', 'listener']), id: nonEmpty, version: text, serial: nonEmpty, exportedAt: date });

/** renewal/NAME.json (RenewalRecord). */
export const renewalRecordShape = object({
  name: certName,
  domains: arrayOf(nonEmpty, { nonEmpty: true }),
  keyType: oneOf(KEY_TYPES),
  directoryUrl: nonEmpty,
  state: oneOf(CERTIFICATE_STATES),
  serial: optional(nonEmpty),
  notBefore: optional(date),
  notAfter: optional(date),
  acm: arrayOf(acmRecord),
  lastError: optional(object({ at: date, code: nonEmpty, message: text })),
  history: arrayOf(object({ at: date, state: oneOf(CERTIFICATE_STATES), cause: text })),
  updatedAt: date,
  profile: optional(text),
  renewAt: optional(date),
  renewalRule: optional(text),
  ariWindow: optional(object({ start: date, end: date })),
  ariPick: optional(number),
  ariCheckAt: optional(date),
  ariExplanationUrl: optional(text),
  ariCertId: optional(nonEmpty),
  pendingOrder: optional(object({ url: nonEmpty, replaces: optional(nonEmpty), liveKey: flag, savedAt: date })),
  order: optional(object({ url: nonEmpty, replaces: optional(nonEmpty) })),
  failedAttempts: optional(count),
  retryAt: optional(date),
  revokedAt: optional(date),
  exports: optional(arrayOf(exportRecord)),
  retiredAcm: optional(arrayOf(retiredAcmRecord)),
  expiringEventAt: optional(date),
  rotateKey: optional(flag),
});

/** renewal/_index.json (RenewalIndex). */
export const renewalIndexShape = object({
  version: check('1', (v) => v === 1),
  entries: mapOf(
    object({
      state: oneOf(CERTIFICATE_STATES),
      domainsKey: nonEmpty,
      keyType: nonEmpty,
      directoryUrl: nonEmpty,
      serial: optional(nonEmpty),
      notAfter: optional(date),
      notBefore: optional(date),
      renewAt: optional(date),
      retryAt: optional(date),
      ariCheckAt: optional(date),
      ariCertId: optional(nonEmpty),
      ariWindow: optional(object({ start: date, end: date })),
      acmArns: optional(arrayOf(nonEmpty)),
      retiredAcmArns: optional(arrayOf(nonEmpty)),
    }),
  ),
});

/** What a declaration says about its certificate (a CERTIFICATES entry's fields), and who declared it when. */
const declarationFields = {
  domains: arrayOf(nonEmpty, { nonEmpty: true }),
  keyType: optional(oneOf(KEY_TYPES)),
  directoryUrl: optional(nonEmpty),
  directoryUrls: optional(arrayOf(nonEmpty, { nonEmpty: true })),
  profile: optional(nonEmpty),
  exports: optional(arrayOf(oneOf(EXPORT_KINDS))),
  acmRegions: optional(arrayOf(nonEmpty)),
  owner: nonEmpty,
  declaredBy: nonEmpty,
  declaredAt: date,
};

/** declared/NAME.json (Declaration, lib/core/declarations.ts). */
export const declarationShape = object({ version: check('1', (v) => v === 1), name: certName, ...declarationFields });

/** declared/_index.json (DeclaredIndex): every declaration, by name. */
export const declaredIndexShape = object({ version: check('1', (v) => v === 1), entries: mapOf(object({ name: certName, ...declarationFields })) });

/** live/NAME/metadata.json (LiveMetadata): the pointer to the live version. */
export const liveMetadataShape = object({
  name: certName,
  serial: check('a lowercase hex serial', (v) => typeof v === 'string' && /^[0-9a-f]{1,64}$/.test(v)),
  archivePrefix: nonEmpty,
  names: arrayOf(nonEmpty, { nonEmpty: true }),
  issuer: text,
  notBefore: date,
  notAfter: date,
  fingerprintSha256: nonEmpty,
  keyAlgorithm: nonEmpty,
  directoryUrl: nonEmpty,
  issuedAt: date,
  /** Absent in pointers written before bundle.json existed. */
  bundleKey: optional(nonEmpty),
});

/**
 * account/registration.json: account/key.pem's type and thumbprint, and its account at each CA, by
 * directory URL. An account's own `thumbprint` is the key that CA has for it, written once a
 * rollover moved that CA to the next key (absent: the top-level one), so after a crash between
 * two CAs' key changes each CA is signed for with its own key.
 */
export const accountRegistrationShape = object({
  keyType: oneOf(KEY_TYPES),
  thumbprint: nonEmpty,
  accounts: mapOf(object({ accountUrl: nonEmpty, contact: arrayOf(text), createdAt: date, updatedAt: date, thumbprint: optional(nonEmpty) })),
});

/**
 * account/jwk.json's members beside the current public JWK's own (kty, crv, x, y or n, e), which
 * stay at the top so the single-JWK object every earlier version wrote and read is still the
 * same object: during a rollover `next` is the next key's public JWK and `nextFrom` the moment
 * from which every responder answers with it (both or neither). Checked, with the JWKs
 * themselves, by parsePublishedJwk (key-authorization.ts).
 */
export const accountJwkRolloverShape = object({ next: optional(object({ kty: nonEmpty })), nextFrom: optional(date) });

/** locks/NAME.json: who works on a certificate, until when. */
export const leaseShape = object({ holder: nonEmpty, expiresAt: date });

/** archive/NAME/SERIAL/bundle.json and its live copy, and the Secrets Manager / SSM document (lib/core/handover.ts). */
export const handoverDocumentShape = object({
  name: certName,
  domains: arrayOf(nonEmpty, { nonEmpty: true }),
  serial: nonEmpty,
  notBefore: date,
  notAfter: date,
  fingerprint: nonEmpty,
  keyAlgorithm: nonEmpty,
  issuer: text,
  directoryUrl: nonEmpty,
  issuedAt: date,
  certificate: nonEmpty,
  chain: text,
  fullchain: nonEmpty,
  privateKey: nonEmpty,
});
