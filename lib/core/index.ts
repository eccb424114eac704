export { ErrorCodes, IssuerError, isIssuerError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { accessDeniedError, partitionOf } from './access-denied.js';
export { ACM_OWNER_TAG, acmImportTags } from './acm-tags.js';
export { CREATE_ONLY_PREFIXES, assertCreateOnlyWrite, isCreateOnlyKey } from './create-only.js';
export type { AwsRequest } from './access-denied.js';
export { isValidToken, assertValidToken, tokenFromPath, CHALLENGE_PATH_PREFIX, TOKEN_MIN_LENGTH, TOKEN_MAX_LENGTH } from './token.js';
export { parsePublicJwk, parsePublishedJwk, jwkThumbprint, keyAuthorization } from './key-authorization.js';
export type { PublishedAccountJwk } from './key-authorization.js';
export { layout, isValidCertName, assertCertName, PEM_FILES } from './layout.js';
export type { PemFile } from './layout.js';
export { normalizeDomain, normalizeDomains, MAX_NAMES_PER_CERTIFICATE } from './domain.js';
export { parseCertificate, splitPemChain, keyMatchesCertificate, chainVerifies } from './certificate.js';
export type { CertificateInfo } from './certificate.js';
export { ConfigReader, awsClientSettings, eabFor, parseIssuerConfig, parseResponderConfig, readAwsConfig, readBucket, KEY_TYPES, KNOWN_DIRECTORIES } from './config.js';
export type { Env, KeyType, AwsConfig, IssuerConfig, ResponderConfig, ExternalAccountBinding } from './config.js';
export type { ObjectStore, StoredObject, PutOptions, WriteCondition } from './ports.js';
export { withState, effectiveState, CERTIFICATE_STATES, MAX_HISTORY } from './records.js';
export {
  accountJwkRolloverShape,
  accountRegistrationShape,
  corruptObject,
  declarationShape,
  declaredIndexShape,
  leaseShape,
  liveMetadataShape,
  parseRecord,
  parseStored,
  renewalIndexShape,
  renewalRecordShape,
  restoreHint,
} from './stored-shapes.js';
export type { Shape } from './stored-shapes.js';
export type { AccountRegistration, LiveMetadata, RenewalRecord, CertificateState, StateTransition, AcmRecord, RetiredAcmRecord, PendingOrder } from './records.js';
export { parseCertificateSet, domainsKey } from './certificate-set.js';
export { DECLARED_INDEX_REBUILD_HINT, EMPTY_DECLARED_INDEX, conflictWarning, declarationFields, parseDeclaration, parseDeclaredIndex, reconcileDeclared, specOf, withDeclaration } from './declarations.js';
export type { Declaration, DeclaredIn, DeclaredIndex, DeclaredSet, DeclareInput } from './declarations.js';
export type { CertificateSpec } from './certificate-set.js';
export { pollSchedule, nextPollDelay, retryAfterMs, MAX_POLL_INTERVAL_MS, POLL_TIMEOUT_MS } from './poll-schedule.js';
export type { PollSchedule } from './poll-schedule.js';
export { PROFILE_NAME_LIMITS, assertProfileNameLimit, assertProfileOffered, profileNameLimitProblem, profileOfferProblem } from './profiles.js';
export { fallbackRule, renewalTime, nextRetryAt, rateLimitRetryAfter, ariCertId, expiryAlarmDays, BACKOFF_LIFETIME_FRACTION, EXPIRY_ALARM_LIFETIME_FRACTION } from './renewal-policy.js';
export type { Lifetime, RenewalRule, RenewalWindow } from './renewal-policy.js';
export { EMPTY_INDEX, INDEX_REBUILD_HINT, parseRenewalIndex, withEntry, sweepVerdict } from './renewal-index.js';
export type { IndexEntry, RenewalIndex, SweepVerdict } from './renewal-index.js';
export { authorityKeyIdentifier } from './certificate.js';
export { parseDeployConfig, LOG_RETENTION_DAYS, TASK_SUBNET_KINDS, type DeployConfig, type DeployNetworkConfig, type ExistingListenerConfig, type TaskSubnetKind } from './deploy-config.js';
export { EXPORT_KINDS, DEFAULT_SECRET_PREFIX, DEFAULT_SSM_PREFIX, loadBalancerOfListener, parameterNameOf, parseExportKinds, readExportConfig, regionOfArn, secretNameOf, SECRET_RECOVERY_DAYS } from './exports.js';
export type { ExportConfig, ExportKind, ExportRecord } from './exports.js';
export {
  EVENT_SOURCE,
  EVENT_SCHEMA_VERSION,
  EVENT_DETAIL_TYPES,
  EventDetailTypes,
  CERTIFICATE_CHANGED_TYPES,
  DEFAULT_EVENT_BUS,
  DEFAULT_EXPIRY_ALARM_DAYS,
  EVENT_BUS_OFF,
  certificateEvent,
  certificateEventPattern,
  eventBusArn,
  expiringEventDue,
  readEventBus,
} from './events.js';
export type { CertificateEvent, CertificateEventDetail, CertificateFacts, EventDetailType, EventS3Keys, EventExtra } from './events.js';
export { assertPairMatches, handoverDocument, pairProblem, readHandoverDocument } from './handover.js';
export type { HandoverDocument, HandoverFiles } from './handover.js';
export { ROLLOVER_SWITCH_MARGIN_SECONDS, rolloverSwitchAt } from './rollover.js';
export { API_ENV, parseApiConfig, issuerOverrides, issuerRunTaskInput } from './api-config.js';
export type { ApiConfig, IssuerTaskTarget } from './api-config.js';
