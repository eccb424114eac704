#!/usr/bin/env node
// The issuer CLI: what the container image runs (ENTRYPOINT) and what `just issuer …` runs locally.
import { ErrorCodes, IssuerError, SECRET_RECOVERY_DAYS, assertCertName, parseIssuerConfig, type KeyType } from '../lib/core/index.js';
import { configureCaConnections } from './acme/tls.js';
import { createContext } from './commands/context.js';
import { callerArn } from './aws/caller-identity.js';
import { withDeclaredSet } from './certificates/declared.js';
import { declareCommand, undeclareCommand } from './commands/declare.js';
import { deleteCommand } from './commands/delete.js';
import { issueCommand } from './commands/issue.js';
import { listCommand, showCommand } from './commands/list.js';
import { registerCommand } from './commands/register.js';
import { renewCommand, type RenewReport } from './commands/renew.js';
import { parseReason, revokeCommand } from './commands/revoke.js';
import { rolloverCommand } from './commands/rollover.js';
import { healthCommand } from './diagnostics/health.js';
import { parseCommandLine, usage, usageText } from './command-line.js';
import { ExitCodes, exitCodeOf, type ExitCode } from './exit-codes.js';
import { Progress } from './progress.js';
import { S3ObjectStore } from '../lib/store/s3-object-store.js';

const now = () => new Date();

async function main(argv: string[], progress: Progress): Promise<ExitCode> {
  const line = parseCommandLine(argv);
  if (line.command === undefined) {
    process.stdout.write(`${usageText()}\n`);
    return line.help ? ExitCodes.OK : ExitCodes.USAGE_OR_CONFIG;
  }
  const { command, values, names } = line;
  const config = parseIssuerConfig(process.env);
  configureCaConnections(config.acmeTlsCaFile);
  const store = new S3ObjectStore({ aws: config.aws, bucket: config.bucket, kmsKeyId: config.kmsKeyId });
  // A NAME that cannot be a certificate's is refused before anything is read.
  for (const name of names) assertCertName(name);
  const accountOptions = { allowNewAccount: values['new-account'] };
  // The commands that act on the declared set see CERTIFICATES and declared/ as one (one more read).
  const declared = (['renew', 'issue', 'list', 'show', 'delete'] as const).some((c) => c === command) ? await withDeclaredSet(config, store, progress, command === 'renew' ? names : []) : undefined;
  const ctx = createContext(declared?.config ?? config, store, progress, now, accountOptions);

  switch (command) {
    case 'declare':
    case 'certonly': {
      if (values.name === undefined) throw usage(`${command} needs --name NAME`);
      const input = { name: values.name, domains: values.domain ?? [], keyType: values['key-type'], ca: values.ca, profile: values.profile, exports: values.export, regions: values.region };
      const declaration = await declareCommand(ctx, input, await callerArn(config.aws));
      if (command === 'declare' && !values.now) return ExitCodes.OK;
      // Issued as the next sweep would: renew NAME with the declaration now in the set.
      const withIt = await withDeclaredSet(config, store, progress, [declaration.name]);
      const reports = await renewCommand(createContext(withIt.config, store, progress, now, accountOptions), { names: [declaration.name], force: false, dryRun: false, skipPreflight: values['skip-preflight'] });
      return renewExitCode(reports);
    }
    case 'undeclare': {
      const name = values.name ?? names[0];
      if (name === undefined || names.length + (values.name === undefined ? 0 : 1) !== 1) throw usage('undeclare needs exactly one certificate NAME (or --name NAME)');
      await undeclareCommand(ctx, name);
      return ExitCodes.OK;
    }
    case 'register':
      await registerCommand(ctx);
      return ExitCodes.OK;
    case 'rollover':
      await rolloverCommand(ctx);
      return ExitCodes.OK;
    case 'issue': {
      if (values.name === undefined) throw usage('issue needs --name NAME');
      const keyType = keyTypeOption(values['key-type']); // bad flags fail before the account or any probe
      await issueCommand(ctx, { name: values.name, domains: values.domain ?? [], keyType, newArn: values['new-arn'], rotateKey: values['rotate-key'], skipPreflight: values['skip-preflight'] });
      return ExitCodes.OK;
    }
    case 'renew': {
      const reports = await renewCommand(ctx, { names, force: values.force, dryRun: values['dry-run'], skipPreflight: values['skip-preflight'], rotateKey: values['rotate-key'] });
      return renewExitCode(reports);
    }
    case 'revoke':
      await revokeCommand(ctx, names[0]!, parseReason(values.reason));
      return ExitCodes.OK;
    case 'delete':
      await deleteCommand(ctx, names[0]!, { recoveryDays: recoveryDaysOption(values['recovery-days']), declaredIn: declared?.declaredIn[names[0]!] });
      return ExitCodes.OK;
    case 'list':
      await listCommand(ctx, declared?.declaredIn);
      return ExitCodes.OK;
    case 'show':
      await showCommand(ctx, names[0]!, declared?.declaredIn);
      return ExitCodes.OK;
    case 'health':
      await healthCommand(ctx, values.domain ?? []);
      return ExitCodes.OK;
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
