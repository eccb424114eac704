/**
 * Every IAM action the constructs grant, in one place (like aws-s3/lib/perms.ts). Only exact
 * action names: no `*` in an action, so a review reads exactly what each role may do.
 */

/** The responder reads one object. */
export const RESPONDER_S3_ACTIONS = ['s3:GetObject'] as const;

/** The issuer reads and writes its prefixes (conditional writes are plain PutObject calls). */
export const ISSUER_S3_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject'] as const;
/** Only leases are ever deleted: archive/ is append-only, live/ is replaced in place. */
export const ISSUER_S3_DELETE_ACTIONS = ['s3:DeleteObject'] as const;
export const ISSUER_S3_LIST_ACTIONS = ['s3:ListBucket'] as const;

/** SSE-KMS through S3: reading needs Decrypt, writing needs GenerateDataKey (and Decrypt for multipart). */
export const KMS_DECRYPT_ACTIONS = ['kms:Decrypt'] as const;
export const KMS_ENCRYPT_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** ACM actions that accept a certificate ARN as the resource. */
export const ACM_CERTIFICATE_ACTIONS = [
  'acm:ImportCertificate',
  'acm:AddTagsToCertificate',
  'acm:DescribeCertificate',
  'acm:GetCertificate',
] as const;
/** ListCertificates has no resource type: IAM only accepts "*" for it. */
export const ACM_LIST_ACTIONS = ['acm:ListCertificates'] as const;

/** Lambda logging to its own log group (instead of the managed AWSLambdaBasicExecutionRole). */
export const LOG_WRITE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;
