import { loadBalancerOfListener, regionOfArn, type AwsConfig, type RenewalRecord, type RetiredAcmRecord } from '../../lib/core/index.js';
import { AcmCertificates } from '../aws/acm-certificates.js';
import { ListenerAttachment } from '../exports/listener.js';
import type { Progress } from '../progress.js';

/** What became of one old ARN this run: deleted (or found gone), or kept because something uses it. */
export interface RetiredOutcome {
  readonly region: string;
  readonly oldArn: string;
  readonly newArn: string;
  readonly status: 'deleted' | 'already gone' | 'kept';
  /** Why it was kept: what ACM says uses it, or the error that stopped this run. */
  readonly keptBecause?: string;
}

/**
 * After a key-type change put a certificate under a new ACM ARN: takes the old ARN off our HTTPS
 * listener(s) and deletes it once ACM lists nothing in its InUseBy. One still in use (a
 * CloudFront distribution, another listener, or ACM not yet caught up with our detachment) is
 * kept and returned, to be recorded as pending and tried again on a later run. Never throws: the
 * new certificate is live already, and a kept ARN is only something to clean up later.
 */
export async function retireAcm(retired: readonly RetiredAcmRecord[], listeners: readonly string[], aws: AwsConfig | undefined, progress: Progress): Promise<{ kept: RetiredAcmRecord[]; outcomes: RetiredOutcome[] }> {
  const kept: RetiredAcmRecord[] = [];
  const outcomes: RetiredOutcome[] = [];
  for (const old of retired) {
    const base = { region: old.region, oldArn: old.certificateArn, newArn: old.replacedBy };
    if (aws === undefined) {
      kept.push(old);
      outcomes.push({ ...base, status: 'kept', keptBecause: 'ACM import is off in this run' });
      continue;
    }
    try {
      for (const listenerArn of listeners.filter((arn) => regionOfArn(arn) === old.region)) {
        const listener = new ListenerAttachment({ ...aws, region: old.region }, listenerArn);
        await progress.step(`detach the old ${old.certificateArn} from the HTTPS listener`, () => listener.detach(old.certificateArn));
      }
      const acm = new AcmCertificates({ ...aws, region: old.region });
      const usage = await acm.usage(old.certificateArn);
      if (!usage.exists) {
        outcomes.push({ ...base, status: 'already gone' });
      } else if (usage.inUseBy.length > 0) {
        // On AWS our own load balancer lingers in InUseBy for a while after the detachment.
        const ours = new Set(listeners.filter((arn) => regionOfArn(arn) === old.region).map(loadBalancerOfListener));
        const onlyOurs = usage.inUseBy.every((user) => ours.has(user));
        kept.push({ ...old, inUseBy: usage.inUseBy });
        outcomes.push({
          ...base,
          status: 'kept',
          keptBecause: `in use by ${usage.inUseBy.join(', ')}${onlyOurs ? ': our own load balancer, which ACM has not yet seen let go of it' : ''}`,
        });
      } else {
        await progress.step(`delete the old ${old.certificateArn}`, () => acm.delete(old.certificateArn, ['it stays recorded as pending deletion and is tried again on the next run']));
        outcomes.push({ ...base, status: 'deleted' });
      }
    } catch (error) {
      kept.push(old);
      outcomes.push({ ...base, status: 'kept', keptBecause: error instanceof Error ? error.message : String(error) });
    }
  }
  for (const outcome of outcomes) {
    const what = outcome.status === 'kept' ? `kept, pending deletion (${outcome.keptBecause}); it is tried again on every run, and deleted once nothing uses it` : outcome.status;
    progress.info(`ACM ${outcome.region}: ${outcome.newArn} replaces ${outcome.oldArn}; the old one: ${what}`, {
      acmReplaced: { ...outcome },
    });
  }
  return { kept, outcomes };
}

/** The listeners an old ARN may be attached to: the ones the record says we attached to, and the configured one. */
export function listenersOf(record: RenewalRecord, configured: string | undefined): string[] {
  const recorded = (record.exports ?? []).filter((e) => e.kind === 'listener').map((e) => e.id);
  return [...new Set([...recorded, ...(configured === undefined ? [] : [configured])])];
}
