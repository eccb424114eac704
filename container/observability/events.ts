import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  accessDeniedError,
  awsClientSettings,
  certificateEvent,
  type AwsConfig,
  type CertificateEvent,
  type EventExtra,
  type CertificateFacts,
  type EventDetailType,
  type LiveMetadata,
  type RenewalRecord,
} from '../../lib/core/index.js';
import type { Progress } from '../progress.js';
import { metric } from './metrics.js';

export interface EventPublisherOptions {
  readonly aws: AwsConfig;
  /** PutEvents' EventBusName (name or ARN); undefined: events are off (EVENT_BUS=none). */
  readonly bus: string | undefined;
  readonly bucket: string;
  /** The run's output: its id goes into each event, its lines say what was sent. */
  readonly progress: Pick<Progress, 'runId' | 'log' | 'metric'>;
  readonly now: () => Date;
  /** Pauses between attempts; tests of the retry may shorten them. @default [250, 1000] */
  readonly retryDelaysMs?: readonly number[];
}

/** The last word on an event: put, or why not (the run carries on either way). */
export type PublishResult = { readonly sent: true; readonly eventId: string } | { readonly sent: false; readonly reason: string };

/**
 * Puts the issuer's EventBridge events (lib/core/events.ts). An event follows a state change that
 * has already happened (the certificate is live, the record written): a failure to tell consumers
 * must neither undo it nor fail the run. So a refused or lost PutEvents is tried again a little,
 * then reported as a WARN line and an EventPublishFailed metric, which the stack alarms on
 * (docs/operations.md); `publish` never throws.
 */
export class EventPublisher {
  private client: EventBridgeClient | undefined;

  constructor(private readonly options: EventPublisherOptions) {}

  /** Builds the event from the facts and puts it. */
  async publish(detailType: EventDetailType, facts: CertificateFacts, extra: EventExtra = {}): Promise<PublishResult> {
    if (this.options.bus === undefined) return { sent: false, reason: 'EVENT_BUS=none' };
    const event = certificateEvent(detailType, facts, { bucket: this.options.bucket, runId: this.options.progress.runId, now: this.options.now() }, extra);
    const delays = this.options.retryDelaysMs ?? [250, 1000];
    let reason = '';
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      const outcome = await this.put(event);
      if (outcome.sent) {
        this.options.progress.log('INFO', 'event-sent', `event ${detailType} for "${facts.name}" sent (${outcome.eventId})`, { detailType, name: facts.name, eventId: outcome.eventId });
        return outcome;
      }
      reason = outcome.reason;
      if (!outcome.retry || attempt === delays.length) break;
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
    this.options.progress.log('WARN', 'event-not-sent', `warning: event ${detailType} for "${facts.name}" was not sent (${reason}); the certificate itself is unaffected`, {
      detailType,
      name: facts.name,
      reason,
    });
    this.options.progress.metric(metric.eventPublishFailed(detailType, facts.name));
    return { sent: false, reason };
  }

  private async put(event: CertificateEvent): Promise<{ sent: true; eventId: string } | { sent: false; reason: string; retry: boolean }> {
    this.client ??= new EventBridgeClient(awsClientSettings(this.options.aws));
    try {
      const answer = await this.client.send(
        new PutEventsCommand({
          Entries: [{ Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail), EventBusName: this.options.bus, Time: new Date(event.detail.time) }],
        }),
      );
      const entry = answer.Entries?.[0];
      if ((answer.FailedEntryCount ?? 0) === 0 && entry?.EventId !== undefined) return { sent: true, eventId: entry.EventId };
      // EventBridge answers 200 with the entry's own error (throttled, internal failure): worth another try.
      return { sent: false, reason: `${entry?.ErrorCode ?? 'no event id'}: ${entry?.ErrorMessage ?? 'EventBridge accepted no entry'}`, retry: true };
    } catch (error) {
      const denied = accessDeniedError(error, {
        action: 'events:PutEvents',
        resource: this.options.bus!.startsWith('arn:') ? this.options.bus! : `the event bus "${this.options.bus}"`,
        during: 'could not put the event',
        grantee: "the issuer's credentials (on ECS the task role, granted by the stack in lib/constructs/issuer-task.ts grantPutEvents)",
      });
      // A refusal stays a refusal; anything else (network, a 5xx the SDK already retried) may pass.
      if (denied !== undefined) return { sent: false, reason: `${denied.message}; ${denied.hint ?? ''}`.trim(), retry: false };
      return { sent: false, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error), retry: true };
    }
  }
}

/** An event's facts from what the issuer stores: the record (names, ACM, exports) and the live pointer (the version). */
export function factsOf(record: RenewalRecord | undefined, metadata: LiveMetadata | undefined, name: string): CertificateFacts {
  return {
    name,
    domains: record?.domains ?? metadata?.names ?? [],
    serial: metadata?.serial ?? record?.serial,
    notBefore: metadata?.notBefore ?? record?.notBefore,
    notAfter: metadata?.notAfter ?? record?.notAfter,
    fingerprint: metadata?.fingerprintSha256,
    // The live version's CA: the record names the one being tried while a renewal fails.
    ca: metadata?.directoryUrl ?? record?.directoryUrl,
    acm: record?.acm,
    exports: record?.exports,
  };
}
