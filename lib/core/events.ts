import type { ConfigReader } from './config-reader.js';
import { layout, PEM_FILES, type PemFile } from './layout.js';

/**
 * The EventBridge events the issuer puts on every state change of a certificate, in one module
 * that the issuer (container/observability/events.ts, which publishes them) and the stack
 * (lib/constructs/certificate-events.ts, whose rules match them) both import, so a renamed
 * detail-type changes both sides at once. docs/consuming.md "Events" documents the schema.
 * Never key material: the detail names S3 keys (where a consumer with its own grants reads the
 * key), never their content.
 */
export const EVENT_SOURCE = 'acme-on-aws';

/** Bumped on an incompatible change of the detail below; consumers may match on it. */
export const EVENT_SCHEMA_VERSION = 1;

export const EventDetailTypes = {
  /** A first certificate for the name (renew of a new entry, or `issue`). */
  issued: 'Certificate Issued',
  /** A new certificate replaced the live one (renew, or a run that finished an interrupted one). */
  renewed: 'Certificate Renewed',
  /** An issuance failed and was recorded; the previous certificate stays live. */
  renewalFailed: 'Certificate Renewal Failed',
  revoked: 'Certificate Revoked',
  deleted: 'Certificate Deleted',
  /** Fewer than EXPIRING_EVENT_DAYS left, at most once a day per certificate. */
  expiring: 'Certificate Expiring',
} as const;
export type EventDetailType = (typeof EventDetailTypes)[keyof typeof EventDetailTypes];
export const EVENT_DETAIL_TYPES = Object.values(EventDetailTypes) as readonly EventDetailType[];

/** The detail-types after which the live certificate is a new one: what a consumer reloads on. */
export const CERTIFICATE_CHANGED_TYPES: readonly EventDetailType[] = [EventDetailTypes.issued, EventDetailTypes.renewed];

/**
 * Days left below which the expiry alarm fires and `Certificate Expiring` is sent: one default for
 * DEPLOY_ALARM_EXPIRY_DAYS (the alarm) and EXPIRING_EVENT_DAYS (the issuer), which the stack sets
 * to the alarm's value.
 */
export const DEFAULT_EXPIRY_ALARM_DAYS = 14;

/** `Certificate Expiring` is sent again for the same certificate only after this long. */
export const EXPIRING_EVENT_INTERVAL_MS = 86_400_000;

/** The EventBridge bus the issuer publishes to, as PutEvents' EventBusName takes it. */
export const DEFAULT_EVENT_BUS = 'default';
/** EVENT_BUS=none: publish nothing (an endpoint without EventBridge). */
export const EVENT_BUS_OFF = 'none';

const BUS_NAME = /^[A-Za-z0-9._/-]{1,256}$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._/-]{1,256}$/;

/** EVENT_BUS / DEPLOY_EVENT_BUS: a bus name or ARN, `default`, or `none` (off); undefined when off. */
export function readEventBus(reader: ConfigReader, variable: string): string | undefined {
  const value = reader.string(variable, {
    default: DEFAULT_EVENT_BUS,
    pattern: new RegExp(`(${BUS_NAME.source})|(${BUS_ARN.source})`),
    expected: 'an EventBridge bus name or ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME), "default" for the account\'s default bus, or "none" to send no events',
  });
  return value === EVENT_BUS_OFF ? undefined : value;
}

/** The bus's ARN for IAM, given a name (in the stack's own region and account) or an ARN. */
export function eventBusArn(bus: string, where: { partition: string; region: string; account: string }): string {
  return bus.startsWith('arn:') ? bus : `arn:${where.partition}:events:${where.region}:${where.account}:event-bus/${bus}`;
}

/** The EventBridge pattern matching our events (of some detail-types), for the stack's rules. */
export function certificateEventPattern(types: readonly EventDetailType[] = EVENT_DETAIL_TYPES): { source: string[]; detailType: string[] } {
  return { source: [EVENT_SOURCE], detailType: [...types] };
}

/** Where the version an event is about lives in the bucket. */
export interface EventS3Keys {
  readonly bucket: string;
  /** live/NAME/metadata.json: the pointer that names the live version. */
  readonly livePointer: string;
  /** archive/NAME/SERIAL/: the version's folder (never overwritten). */
  readonly archivePrefix: string;
  /** Each file of that version, by file name (privkey.pem is a key name here, never its content). */
  readonly archive: Readonly<Record<PemFile, string>>;
  /** That version's hand-over document: certificate, chain and key in one object (one GET). */
  readonly bundle: string;
}

export interface CertificateEventDetail {
  readonly version: typeof EVENT_SCHEMA_VERSION;
  readonly name: string;
  readonly domains: readonly string[];
  /** The certificate the event is about; for a failure, the one still live (undefined: none yet). */
  readonly serial: string | undefined;
  readonly notBefore: string | undefined;
  readonly notAfter: string | undefined;
  /** SHA-256 of the certificate's DER, colon-separated hex (as `show` prints it). */
  readonly fingerprint: string | undefined;
  /** The directory URL of the CA that issued it (after a failover, not the first of the certificate's list). */
  readonly ca?: string | undefined;
  readonly s3: EventS3Keys | undefined;
  /** Every ACM certificate the name is imported into. */
  readonly acm: readonly { readonly region: string; readonly certificateArn: string }[];
  /** Every Secrets Manager / SSM / listener hand-over with the version this certificate is in. */
  readonly exports: readonly { readonly kind: string; readonly id: string; readonly version: string }[];
  /** The issuer run that sent it (its log lines carry the same runId). */
  readonly runId: string;
  readonly time: string;
  /** Renewal Failed: what failed, and when the next attempt is. */
  readonly error?: { readonly code: string; readonly message: string; readonly retryAt: string | undefined; readonly attempts: number } | undefined;
  /** Expiring: whole days left; Revoked: the reason given. */
  readonly daysLeft?: number | undefined;
  readonly reason?: string | undefined;
  /**
   * The CA's ARI explanationURL (RFC 9773 §4.2): for Renewed, of the window that made the replaced
   * certificate due (a CA moving windows says why there); for Expiring, of the live certificate's.
   */
  readonly ariExplanationUrl?: string | undefined;
}

/** The facts of one certificate the issuer has at hand (its record and live pointer). */
export interface CertificateFacts {
  readonly name: string;
  readonly domains: readonly string[];
  readonly serial?: string | undefined;
  readonly notBefore?: string | undefined;
  readonly notAfter?: string | undefined;
  readonly fingerprint?: string | undefined;
  readonly ca?: string | undefined;
  readonly acm?: readonly { readonly region: string; readonly certificateArn: string }[] | undefined;
  readonly exports?: readonly { readonly kind: string; readonly id: string; readonly version: string; readonly serial?: string }[] | undefined;
}

/** What an event carries beyond the certificate's facts. */
export type EventExtra = Pick<CertificateEventDetail, 'error' | 'daysLeft' | 'reason' | 'ariExplanationUrl'>;

export interface CertificateEvent {
  readonly source: typeof EVENT_SOURCE;
  readonly detailType: EventDetailType;
  readonly detail: CertificateEventDetail;
}

/**
 * Builds one event from plain facts, copying only the fields the schema names (so nothing else of
 * a record, and never a PEM, can ride along).
 */
export function certificateEvent(detailType: EventDetailType, facts: CertificateFacts, context: { readonly bucket: string; readonly runId: string; readonly now: Date }, extra: EventExtra = {}): CertificateEvent {
  const serial = facts.serial;
  const s3: EventS3Keys | undefined =
    serial === undefined
      ? undefined
      : {
          bucket: context.bucket,
          livePointer: layout.liveMetadata(facts.name),
          archivePrefix: layout.archiveDir(facts.name, serial),
          archive: Object.fromEntries(PEM_FILES.map((file) => [file, layout.archivePem(facts.name, serial, file)])) as Record<PemFile, string>,
          bundle: layout.archiveBundle(facts.name, serial),
        };
  return {
    source: EVENT_SOURCE,
    detailType,
    detail: {
      version: EVENT_SCHEMA_VERSION,
      name: facts.name,
      domains: [...facts.domains],
      serial,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      fingerprint: facts.fingerprint,
      ...(facts.ca === undefined ? {} : { ca: facts.ca }),
      s3,
      acm: (facts.acm ?? []).map(({ region, certificateArn }) => ({ region, certificateArn })),
      // Only the hand-overs that hold this certificate (an export left at an older serial is not it).
      exports: (facts.exports ?? []).filter((e) => e.serial === undefined || e.serial === serial).map(({ kind, id, version }) => ({ kind, id, version })),
      runId: context.runId,
      time: context.now.toISOString(),
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(extra.daysLeft !== undefined ? { daysLeft: extra.daysLeft } : {}),
      ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
      ...(extra.ariExplanationUrl !== undefined ? { ariExplanationUrl: extra.ariExplanationUrl } : {}),
    },
  };
}

/** Whether `Certificate Expiring` is due now: below the threshold and not sent in the last day. */
export function expiringEventDue(notAfter: string | undefined, lastSentAt: string | undefined, thresholdDays: number, now: Date): boolean {
  if (notAfter === undefined) return false;
  const left = new Date(notAfter).getTime() - now.getTime();
  if (left >= thresholdDays * 86_400_000) return false;
  return lastSentAt === undefined || now.getTime() - new Date(lastSentAt).getTime() >= EXPIRING_EVENT_INTERVAL_MS;
}
