export { CertificateStore, ISSUER_PREFIXES } from './certificate-store.js';
export type { CertificateStoreProps } from './certificate-store.js';
export { ChallengeResponder, CHALLENGE_PATH_PATTERN } from './challenge-responder.js';
export type { ChallengeResponderProps, ExistingListenerRule } from './challenge-responder.js';
export { IssuerTask, ISSUER_CONTAINER_NAME, IMAGE_EXCLUDE } from './issuer-task.js';
export type { IssuerTaskProps } from './issuer-task.js';
export { RenewalSchedule, DEFAULT_RENEWAL_SCHEDULE } from './renewal-schedule.js';
export type { RenewalScheduleProps } from './renewal-schedule.js';
