/**
 * The tag the issuer puts on every certificate it imports into ACM, and the one the task role's
 * ACM permissions are conditioned on (lib/constructs/issuer-task.ts grantAcmImport): the role may
 * re-import into and delete only certificates that carry it, and may import a new certificate only
 * with it. One constant, so the tag written and the tag IAM looks for cannot drift. Every version
 * of the issuer has set it at first import (its value is the certificate's name), so certificates
 * imported before the condition existed are still the issuer's to renew.
 */
export const ACM_OWNER_TAG = 'acme-on-aws:certificate';

/** The tags of a first import (ACM refuses tags on a re-import). */
export function acmImportTags(name: string): { Key: string; Value: string }[] {
  return [{ Key: ACM_OWNER_TAG, Value: name }];
}
