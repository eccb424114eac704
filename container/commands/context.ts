import { eabFor, type IssuerConfig, type ObjectStore } from '../../lib/core/index.js';
import { ensureAccount, type Account, type AccountOptions } from '../acme/account.js';
import { AcmImporter } from '../aws/acm-importer.js';
import { CertificateExporter } from '../exports/export.js';
import { EventPublisher } from '../observability/events.js';
import type { Progress } from '../progress.js';

/** What every command gets: configuration, the store, the output, the clock, and lazy clients. */
export interface CommandContext {
  readonly config: IssuerConfig;
  readonly store: ObjectStore;
  readonly progress: Progress;
  readonly now: () => Date;
  /** The account at a CA (registered on first use), once per directory per run. */
  account(directoryUrl?: string): Promise<Account>;
  /**
   * One importer per region: AWS_REGION first, then ACM_EXTRA_REGIONS, then the regions= of this
   * certificate's CERTIFICATES entry; none when ACM_IMPORT=false.
   */
  acmImporters(name?: string): readonly AcmImporter[];
  /** The hand-over (Secrets Manager, SSM, HTTPS listener); undefined when nothing is configured. */
  exporter(): CertificateExporter | undefined;
  /** EventBridge events on every state change (EVENT_BUS); never throws, warns when one is not sent. */
  readonly events: EventPublisher;
}

export function createContext(config: IssuerConfig, store: ObjectStore, progress: Progress, now: () => Date, accountOptions: AccountOptions = {}): CommandContext {
  const accounts = new Map<string, Promise<Account>>();
  let importers: AcmImporter[] | undefined;
  let exporter: CertificateExporter | undefined;
  return {
    config,
    store,
    progress,
    now,
    events: new EventPublisher({ aws: config.aws, bus: config.events.bus, bucket: config.bucket, progress, now }),
    account(directoryUrl = config.directoryUrl) {
      let account = accounts.get(directoryUrl);
      if (account === undefined) {
        // Each CA its own EAB credentials (ACME_EAB_* bind ACME_DIRECTORY's first CA only).
        const forCa = { ...config, directoryUrl, eab: eabFor(config, directoryUrl) };
        account = progress.step(
          directoryUrl === config.directoryUrl ? 'account' : `account at ${directoryUrl}`,
          () => ensureAccount(store, forCa, now, accountOptions),
          (a) => (a.changed ? 'registered' : 'ready'),
        );
        accounts.set(directoryUrl, account);
      }
      return account;
    },
    acmImporters(name) {
      const own = config.certificates.find((spec) => spec.name === name)?.acmRegions ?? [];
      if (own.length > 0 && config.acmImport) {
        const regions = [config.aws.region, ...config.acmExtraRegions, ...own];
        return [...new Set(regions)].map((region) => new AcmImporter({ ...config.aws, region }));
      }
      importers ??= config.acmImport ? [config.aws.region, ...config.acmExtraRegions.filter((r) => r !== config.aws.region)].map((region) => new AcmImporter({ ...config.aws, region })) : [];
      return importers;
    },
    exporter() {
      const { exports } = config;
      const any = exports.defaults.length > 0 || exports.httpsListenerArn !== undefined || config.certificates.some((spec) => (spec.exports ?? []).length > 0);
      if (!any) return undefined;
      exporter ??= new CertificateExporter(config.aws, exports, config.certificates);
      return exporter;
    },
  };
}
