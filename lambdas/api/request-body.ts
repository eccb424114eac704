import { ErrorCodes, IssuerError, declarationFields, type DeclareInput } from '../../lib/core/index.js';
import { arrayOf, nonEmpty, object, optional, shapeProblem } from '../../lib/core/stored-shapes.js';

/** POST /certificates: what a CERTIFICATES entry takes, as JSON (openapi.json, CertificateRequest). */
const requestShape = object({
  name: nonEmpty,
  domains: arrayOf(nonEmpty, { nonEmpty: true }),
  keyType: optional(nonEmpty),
  ca: optional(nonEmpty),
  profile: optional(nonEmpty),
  exports: optional(arrayOf(nonEmpty)),
  regions: optional(arrayOf(nonEmpty)),
});

interface CertificateRequest {
  readonly name: string;
  readonly domains: readonly string[];
  readonly keyType?: string;
  readonly ca?: string;
  readonly profile?: string;
  readonly exports?: readonly string[];
  readonly regions?: readonly string[];
}

/**
 * The body of a certificate request, checked by the rules `declare` and CERTIFICATES follow
 * (declarationFields): a body that is not JSON, or not of the shape, or has a bad value is
 * ERR_BAD_INPUT naming the field, before anything is written.
 */
export function certificateRequest(body: string | undefined, isBase64Encoded: boolean): DeclareInput {
  const text = body === undefined ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new IssuerError(ErrorCodes.BAD_INPUT, 'the request body is not JSON', { hint: 'send {"name": "shop", "domains": ["shop.example.com"]} with content-type application/json' });
  }
  const why = shapeProblem(value, requestShape);
  if (why !== undefined)
    throw new IssuerError(ErrorCodes.BAD_INPUT, `the request body does not fit: ${why}`, {
      hint: 'the fields are those of a CERTIFICATES entry: name, domains, and optionally keyType, ca, profile, exports, regions (docs/api.md)',
    });
  const request = value as CertificateRequest;
  const input: DeclareInput = {
    name: request.name,
    domains: request.domains,
    keyType: request.keyType,
    ca: request.ca,
    profile: request.profile,
    // [] is "none", as export=none in CERTIFICATES
    exports: request.exports === undefined ? undefined : request.exports.length === 0 ? 'none' : request.exports.join(','),
    regions: request.regions,
  };
  declarationFields(input); // throws ERR_BAD_INPUT naming each bad value
  return input;
}
