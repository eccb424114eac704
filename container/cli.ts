#!/usr/bin/env node
// The issuer CLI: what the container image runs (ENTRYPOINT) and what `just issuer …` runs locally.
import { parseArgs } from 'node:util';
import { ErrorCodes, IssuerError, SECRET_RECOVERY_DAYS, parseIssuerConfig, type KeyType } from '../lib/core/index.js';
import { configureCaConnections } from './acme/tls.js';
import { createContext } from './commands/context.js';
import { deleteCommand } from './commands/delete.js';
import { issueCommand } from './commands/issue.js';
import { listCommand, showCommand } from './commands/list.js';
import { registerCommand } from './commands/register.js';
import { renewCommand, type RenewReport } from './commands/renew.js';
import { parseReason, revokeCommand } from './commands/revoke.js';
import { healthCommand } from './diagnostics/health.js';
import { ExitCodes, exitCodeOf, type ExitCode } from './exit-codes.js';
import { observeIssueCommand, preflightForIssue } from './preflight-cli.js';
import { Progress } from './progress.js';
import { S3ObjectStore } from './storage/s3-object-store.js';

const USAGE = `usage: cli <command> [options]

commands:
  register [--new-account]         create or reuse the account key, register it at the CA, publish the public JWK
                                   (--new-account: make a new key although account/key.pem is lost and its JWK published)
  issue --name NAME --domain D...  order one certificate now for all names, store it in S3, import it into ACM
        [--key-type rsa-2048|ec-p256] [--new-arn] [--rotate-key] [--skip-preflight]
  renew [NAME...] [--force] [--dry-run] [--rotate-key] [--skip-preflight]
                                   reconcile CERTIFICATES: issue what is missing or changed, renew what is due;
                                   a named certificate's damaged live/ copies are rewritten from the archive
  revoke NAME [--reason unspecified|keyCompromise|affiliationChanged|superseded|cessationOfOperation]
  delete NAME [--recovery-days N]  take away what was made for it: listener attachment, ACM copies, secret
                                   (restorable for N days, 7-30, default 7), parameter, live copies, record
                                   (refused while ACM says something else uses it; archive kept)
  list                             every certificate: state, expiry, next renewal, ACM ARN
  show NAME                        everything known about one certificate, with its history
  health [--domain D...]           check S3, each certificate's archived pair and live/ copies, the CA directory, the account
                                   and the responder's public path (pass/fail per check)

options:
  --rotate-key                     order with a new private key (by default a renewal keeps the live key of the same type)
  --json                           JSON lines on stdout (the default when stdout is not a terminal)
  -h, --help                       this text

exit codes: 0 ok, 1 internal error, 2 usage or configuration, 3 validation failed at the CA,
            4 CA error, 5 S3 error, 6 ACM error, 7 lease held by another issuer, 8 not found,
            9 pre-flight check failed (no order placed), 10 a health check failed,
            11 AWS denied a request (the message names the action and resource to grant)`;

const now = () => new Date();

async function main(argv: string[], progress: Progress): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      domain: { type: 'string', multiple: true },
      'key-type': { type: 'string' },
      'new-arn': { type: 'boolean', default: false },
      'new-account': { type: 'boolean', default: false },
      'rotate-key': { type: 'boolean', default: false },
      'skip-preflight': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      reason: { type: 'string' },
      'recovery-days': { type: 'string' },
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
  configureCaConnections(config.acmeTlsCaFile);
  const store = new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId });
  if (values['new-account'] && command !== 'register') throw usage('--new-account is an option of `register` only');
  const ctx = createContext(config, store, progress, now, { allowNewAccount: values['new-account'] });
  const one = (what: string) => {
    if (rest.length !== 1) throw usage(`${command} needs exactly one certificate NAME (${what})`);
    return rest[0]!;
  };

  switch (command) {
    case 'register':
      await registerCommand(ctx);
      return ExitCodes.OK;
    case 'issue':
      if (values.name === undefined) throw usage('issue needs --name NAME');
      const keyType = keyTypeOption(values['key-type']); // bad flags fail before the account or any probe
      if (!values['skip-preflight']) await preflightForIssue(ctx, values.name, values.domain ?? []);
      await observeIssueCommand(ctx, values.name, () => issueCommand(ctx, { name: values.name!, domains: values.domain ?? [], keyType, newArn: values['new-arn'], rotateKey: values['rotate-key'] }));
      return ExitCodes.OK;
    case 'renew': {
      if (values['new-arn']) {
        throw usage('renew takes no --new-arn: a key type changed in CERTIFICATES or CERT_KEY_TYPE moves the certificate to a new ACM ARN by itself (ACM cannot change it in place); --new-arn is for issue');
      }
      const reports = await renewCommand(ctx, { names: rest, force: values.force, dryRun: values['dry-run'], skipPreflight: values['skip-preflight'], rotateKey: values['rotate-key'] });
      return renewExitCode(reports);
    }
    case 'revoke':
      await revokeCommand(ctx, one('the certificate to revoke'), parseReason(values.reason));
      return ExitCodes.OK;
    case 'delete':
      await deleteCommand(ctx, one('the certificate to delete'), { recoveryDays: recoveryDaysOption(values['recovery-days']) });
      return ExitCodes.OK;
    case 'list':
      await listCommand(ctx);
      return ExitCodes.OK;
    case 'show':
      await showCommand(ctx, one('run `list` for the names'));
      return ExitCodes.OK;
    case 'health':
      await healthCommand(ctx, values.domain ?? []);
      return ExitCodes.OK;
    default:
      throw usage(`unknown command "${command}"`);
  }
}

/**
 * A failure's own code first (it needs fixing; a held lease only needs a later run), then 7 when
 * another issuer held some certificate's lease, else 0 (docs/cli.md, "Exit codes").
 */
function renewExitCode(reports: readonly RenewReport[]): ExitCode {
  const failed = reports.find((r) => r.action === 'failed');
  if (failed !== undefined) return exitCodeOf[failed.code as keyof typeof exitCodeOf] ?? ExitCodes.INTERNAL;
  return reports.some((r) => r.action === 'locked') ? ExitCodes.LOCK_HELD : ExitCodes.OK;
}

function recoveryDaysOption(value: string | undefined): number {
  if (value === undefined) return SECRET_RECOVERY_DAYS.default;
  const days = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (days >= SECRET_RECOVERY_DAYS.min && days <= SECRET_RECOVERY_DAYS.max) return days;
  throw usage(`--recovery-days "${value}" is not valid; expected a whole number of days from ${SECRET_RECOVERY_DAYS.min} to ${SECRET_RECOVERY_DAYS.max} (Secrets Manager's recovery window)`);
}

function keyTypeOption(value: string | undefined): KeyType | undefined {
  if (value === undefined || value === 'rsa-2048' || value === 'ec-p256') return value;
  throw usage(`--key-type "${value}" is not valid; expected rsa-2048 or ec-p256`);
}

function usage(message: string): IssuerError {
  return new IssuerError(ErrorCodes.USAGE, message, { hint: 'run with --help for the commands and options' });
}

async function run(): Promise<void> {
  // ACME_CLIENT_DEBUG=true: the ACME client (acme/client.ts) traces each request on stderr (URLs, statuses, nonces; never keys).
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
