#!/usr/bin/env node
// The issuer CLI: what the container image runs (ENTRYPOINT) and what `just issuer …` runs locally.
import { parseArgs } from 'node:util';
import acme from 'acme-client';
import {
  ErrorCodes,
  IssuerError,
  assertCertName,
  layout,
  normalizeDomains,
  parseIssuerConfig,
  type IssuerConfig,
} from '../lib/core/index.js';
import { ensureAccount } from './acme/account.js';
import { trustCaRoots } from './acme/tls.js';
import { AcmImporter } from './aws/acm-importer.js';
import { readLiveMetadata, syncLiveCopies } from './certificates/archive.js';
import { issueCertificate } from './certificates/issue.js';
import { loadRecord } from './certificates/records.js';
import { ExitCodes, exitCodeOf } from './exit-codes.js';
import { Progress } from './progress.js';
import { S3ObjectStore } from './storage/s3-object-store.js';

const USAGE = `usage: cli <command> [options]

commands:
  register                         create or reuse the account key, register it at the CA, publish the public JWK
  issue --name NAME --domain D...  order one certificate for all names, store it in S3, import it into ACM
        [--key-type rsa-2048|ec-p256] [--new-arn]
  show NAME                        everything known about one certificate
  list                             every certificate with its state

options:
  --json                           JSON lines on stdout (the default when stdout is not a terminal)
  -h, --help                       this text

exit codes: 0 ok, 1 internal error, 2 usage or configuration, 3 validation failed at the CA,
            4 CA error, 5 S3 error, 6 ACM error, 7 lease held by another issuer, 8 not found`;

const now = () => new Date();

async function main(argv: string[], progress: Progress): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      domain: { type: 'string', multiple: true },
      'key-type': { type: 'string' },
      'new-arn': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? ExitCodes.USAGE_OR_CONFIG : ExitCodes.OK;
  }
  const config = parseIssuerConfig(process.env);
  trustCaRoots(config.acmeTlsCaFile);
  const store = new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId });

  switch (command) {
    case 'register': {
      const account = await progress.step('account', () => ensureAccount(store, config, now), (a) => (a.changed ? 'registered' : 'unchanged'));
      progress.result('registered', {
        ca: account.registration.directoryUrl,
        account: account.registration.accountUrl,
        keyType: account.registration.keyType,
        thumbprint: account.registration.thumbprint,
        publicJwk: `s3://${config.bucket}/${layout.accountJwk}`,
        changed: account.changed,
      });
      return ExitCodes.OK;
    }
    case 'issue': {
      if (values.name === undefined) throw usage('issue needs --name NAME');
      const name = assertCertName(values.name);
      const domains = normalizeDomains(values.domain ?? []);
      const keyType = keyTypeOption(values['key-type'], config);
      progress.info(`issuing "${name}" for ${domains.join(', ')} from ${config.directoryUrl}`, { name, domains });
      const account = await progress.step('account', () => ensureAccount(store, config, now), (a) => (a.changed ? 'registered' : 'ready'));
      await syncLiveCopies(store, name);
      const outcome = await issueCertificate(
        { store, client: account.client, acm: config.acmImport ? new AcmImporter(config.aws) : undefined, progress, now },
        { name, domains, keyType, directoryUrl: config.directoryUrl, cause: 'issue command', allowNewArn: values['new-arn'] },
      );
      const info = outcome.published.info;
      progress.result('issued', {
        name,
        names: [...info.names],
        issuer: info.issuer,
        serial: info.serial,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
        fingerprint: info.fingerprintSha256,
        keyAlgorithm: info.keyAlgorithm,
        s3Keys: outcome.published.keysWritten.map((key) => `s3://${config.bucket}/${key}`),
        acmArn: outcome.acm.map((r) => r.certificateArn).join(', ') || '(ACM import off)',
      });
      return ExitCodes.OK;
    }
    case 'show': {
      const name = assertCertName(rest[0] ?? '');
      const [loaded, live] = await Promise.all([loadRecord(store, name), readLiveMetadata(store, name)]);
      if (loaded === undefined && live === undefined) {
        throw new IssuerError(ErrorCodes.NOT_FOUND, `no certificate named "${name}"`, { hint: 'run `list` to see the names' });
      }
      progress.result('certificate', { ...(loaded?.record ?? {}), live });
      return ExitCodes.OK;
    }
    case 'list': {
      const keys = await store.list(layout.renewalPrefix);
      const names = keys.map((key) => key.slice(layout.renewalPrefix.length, -'.json'.length));
      const records = await Promise.all(names.map(async (name) => (await loadRecord(store, name))?.record));
      for (const record of records) {
        if (record === undefined) continue;
        progress.result('certificate', { name: record.name, state: record.state, notAfter: record.notAfter, names: record.domains.join(',') });
      }
      if (records.length === 0) progress.info('no certificates yet');
      return ExitCodes.OK;
    }
    default:
      throw usage(`unknown command "${command}"`);
  }
}

function keyTypeOption(value: string | undefined, config: IssuerConfig) {
  if (value === undefined) return config.certKeyType;
  if (value === 'rsa-2048' || value === 'ec-p256') return value;
  throw usage(`--key-type "${value}" is not valid; expected rsa-2048 or ec-p256`);
}

function usage(message: string): IssuerError {
  return new IssuerError(ErrorCodes.USAGE, message, { hint: 'run with --help for the commands and options' });
}

async function run(): Promise<void> {
  // acme-client's own trace (URLs, statuses, nonces; never keys) for diagnosing a CA conversation.
  if (process.env.ACME_CLIENT_DEBUG === 'true') acme.setLogger((message) => process.stderr.write(`acme-client: ${message}\n`));
  const args = process.argv.slice(2);
  const reporter = Progress.forStdout(args.includes('--json'));
  let code: number;
  try {
    code = await main(args, reporter);
  } catch (error) {
    if (error instanceof IssuerError) {
      reporter.error(error.code, error.message, error.hint);
      code = exitCodeOf[error.code];
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      reporter.error(ErrorCodes.USAGE, error.message, 'run with --help for the commands and options');
      code = ExitCodes.USAGE_OR_CONFIG;
    } else {
      reporter.error('ERR_INTERNAL', error instanceof Error ? `${error.name}: ${error.message}` : String(error), 'this is a bug; please report it with the output above');
      code = ExitCodes.INTERNAL;
    }
  }
  process.exitCode = code;
}

await run();
