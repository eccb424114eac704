/**
 * Every IAM action the constructs grant, in one place (like aws-s3/lib/perms.ts). Only exact
 * action names: no `*` in an action, so a review reads exactly what each role may do.
 */

/** The responder reads one object. */
export const RESPONDER_S3_ACTIONS = ['s3:GetObject'] as const;

/** The issuer reads its prefixes. */
export const ISSUER_S3_READ_ACTIONS = ['s3:GetObject'] as const;
/** ...and writes them (conditional writes are plain PutObject calls; archive/ only with If-None-Match: *). */
export const ISSUER_S3_WRITE_ACTIONS = ['s3:PutObject'] as const;
/**
 * Deletes: leases (locks/), and `delete NAME`'s live copies and record (live/, renewal/).
 * archive/ is never deleted: every issued version stays (the bucket is versioned besides).
 */
export const ISSUER_S3_DELETE_ACTIONS = ['s3:DeleteObject'] as const;
export const ISSUER_S3_LIST_ACTIONS = ['s3:ListBucket'] as const;

/** The certificate API reads the records, declarations and public live objects (never a key)... */
export const API_S3_READ_ACTIONS = ['s3:GetObject'] as const;
/** ...and writes and removes declarations, nothing else. */
export const API_S3_DECLARE_ACTIONS = ['s3:DeleteObject', 's3:PutObject'] as const;
/** A GetObject of a missing key answers 404 (not 403) only to a caller that may list the bucket. */
export const API_S3_LIST_ACTIONS = ['s3:ListBucket'] as const;

/** SSE-KMS through S3: reading needs Decrypt, writing needs GenerateDataKey (and Decrypt for multipart). */
export const KMS_DECRYPT_ACTIONS = ['kms:Decrypt'] as const;
export const KMS_ENCRYPT_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/**
 * ACM, split by the condition each set is granted under (issuer-task.ts grantAcmImport). Per the
 * Service Authorization Reference, aws:ResourceTag applies to every certificate action and
 * aws:RequestTag / aws:TagKeys to ImportCertificate and AddTagsToCertificate.
 */
/** Reads, unconditioned: delete's in-use check and a re-import's key check must see a certificate whose tag was removed by hand, to name it. */
export const ACM_READ_ACTIONS = ['acm:DescribeCertificate', 'acm:GetCertificate'] as const;
/** Re-import and delete: only a certificate that carries the issuer's tag (aws:ResourceTag). */
export const ACM_TAGGED_CERTIFICATE_ACTIONS = ['acm:DeleteCertificate', 'acm:ImportCertificate'] as const;
/** A first import, which ACM also authorizes as AddTagsToCertificate: only with the issuer's tag in the request (aws:RequestTag). */
export const ACM_FIRST_IMPORT_ACTIONS = ['acm:AddTagsToCertificate', 'acm:ImportCertificate'] as const;
/** ListCertificates has no resource type: IAM only accepts "*" for it. */
export const ACM_LIST_ACTIONS = ['acm:ListCertificates'] as const;

/** Lambda logging to its own log group (instead of the managed AWSLambdaBasicExecutionRole). */
export const LOG_WRITE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

/**
 * Secrets Manager export: create the secret once, then new versions in place; find it by name;
 * `delete NAME` schedules its deletion (with a recovery window, never forced).
 */
export const SECRETS_EXPORT_ACTIONS = ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue'] as const;
/** Secrets Manager encrypting with a customer-managed key on the caller's behalf. */
export const SECRETS_EXPORT_KMS_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;
/** SSM SecureString export (Overwrite keeps the name and bumps the version); `delete NAME` removes it. */
export const SSM_EXPORT_ACTIONS = ['ssm:DeleteParameter', 'ssm:PutParameter'] as const;
/** SSM encrypts standard parameters with Encrypt and advanced ones (over 4 KB) with a data key. */
export const SSM_EXPORT_KMS_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'] as const;
/**
 * Attaching certificates to the HTTPS listener (SNI), and detaching them: the old ARN after a
 * key-type change, every ARN of a certificate `delete NAME` takes away.
 */
export const LISTENER_ATTACH_ACTIONS = ['elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:RemoveListenerCertificates'] as const;
/** Describe* in ELBv2 has no resource type: IAM only accepts "*". */
export const LISTENER_DESCRIBE_ACTIONS = ['elasticloadbalancing:DescribeListenerCertificates'] as const;
/** EventBridge: the issuer's events (lib/core/events.ts), on one bus. */
export const EVENTS_PUT_ACTIONS = ['events:PutEvents'] as const;
/** The reload route: EventBridge's role runs AWS-RunShellScript on tagged instances (lib/constructs/certificate-events.ts). */
export const RELOAD_ACTIONS = ['ssm:SendCommand'] as const;
