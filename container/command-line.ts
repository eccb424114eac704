// The CLI's commands and the options each one takes: one table that both parses the command line
// and writes the usage text, so an option cannot be accepted by a command that ignores it.
import { parseArgs } from 'node:util';
import { ErrorCodes, IssuerError } from '../lib/core/index.js';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Booleans are false unless given (parseArgs' own field). */
  readonly default?: false;
  readonly multiple?: true;
  readonly short?: string;
  /** The value's placeholder in the usage text (string options). */
  readonly value?: string;
}

/** Every option any command takes. */
const OPTIONS = {
  name: { type: 'string', value: 'NAME' },
  domain: { type: 'string', multiple: true, value: 'D' },
  'key-type': { type: 'string', value: 'rsa-2048|ec-p256' },
  ca: { type: 'string', value: 'letsencrypt|URL' },
  profile: { type: 'string', value: 'NAME' },
  export: { type: 'string', value: 'secrets,ssm|none' },
  region: { type: 'string', multiple: true, value: 'R' },
  now: { type: 'boolean', default: false },
  'new-arn': { type: 'boolean', default: false },
  'new-account': { type: 'boolean', default: false },
  'rotate-key': { type: 'boolean', default: false },
  'skip-preflight': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  reason: { type: 'string', value: 'unspecified|keyCompromise|affiliationChanged|superseded|cessationOfOperation' },
  'recovery-days': { type: 'string', value: 'N' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** Taken by every command: they change the output, not the work. */
const GLOBAL_OPTIONS = ['json', 'help'] as const satisfies readonly OptionName[];

interface CommandSpec {
  readonly options: readonly OptionName[];
  /** Certificate NAMEs after the command: none, exactly one, or any number. */
  readonly names: 'none' | 'one' | 'any';
  /** What the synopsis shows after the command when the options alone do not say it. */
  readonly synopsis?: string;
  /** Usage lines: what the command does (each line is one line of the text). */
  readonly summary: readonly string[];
  /** Why an option another command takes is not one of this command's, where that is not obvious. */
  readonly refusalHints?: Partial<Record<OptionName, string>>;
}

export const COMMANDS = {
  register: {
    options: ['new-account'],
    names: 'none',
    summary: ['create or reuse the account key, register it at the CA, publish the public JWK', '(--new-account: make a new key although account/key.pem is lost and its JWK published)'],
  },
  issue: {
    options: ['name', 'domain', 'key-type', 'new-arn', 'rotate-key', 'skip-preflight'],
    names: 'none',
    synopsis: '--name NAME --domain D... [--key-type rsa-2048|ec-p256] [--new-arn] [--rotate-key] [--skip-preflight]',
    summary: ['order one certificate now for all names (pre-flight first, under the lease, like renew), store it in S3, import it into ACM'],
  },
  declare: {
    options: ['name', 'domain', 'key-type', 'ca', 'profile', 'export', 'region', 'now', 'skip-preflight'],
    names: 'none',
    synopsis: '--name NAME --domain D... [--key-type K] [--ca CA] [--profile P] [--export E] [--region R...] [--now] [--skip-preflight]',
    summary: ['declare a certificate in the store (declared/NAME.json: what a CERTIFICATES entry says, the', 'caller recorded as owner); the next renew issues it, --now renews it in this run'],
  },
  certonly: {
    options: ['name', 'domain', 'key-type', 'ca', 'profile', 'export', 'region', 'skip-preflight'],
    names: 'none',
    synopsis: '--name NAME --domain D... [--key-type K] [--ca CA] [--profile P] [--export E] [--region R...] [--skip-preflight]',
    summary: ["certbot's word for it: declare --now (declared, then issued in this run and kept renewed)"],
  },
  undeclare: {
    options: ['name'],
    names: 'any',
    synopsis: 'NAME | --name NAME',
    summary: ['remove a store declaration; the certificate stays, renewed as undeclared, until delete'],
  },
  renew: {
    options: ['force', 'dry-run', 'rotate-key', 'skip-preflight'],
    names: 'any',
    summary: ['reconcile CERTIFICATES and declared/: issue what is missing or changed, renew what is due;', "a named certificate's damaged live/ copies are rewritten from the archive"],
    refusalHints: {
      'new-arn': 'a key type changed in CERTIFICATES or CERT_KEY_TYPE moves the certificate to a new ACM ARN by itself (ACM cannot change it in place); --new-arn is for issue',
    },
  },
  revoke: { options: ['reason'], names: 'one', summary: ['revoke the live certificate at its CA and record it revoked'] },
  delete: {
    options: ['recovery-days'],
    names: 'one',
    summary: [
      'take away what was made for it: listener attachment, ACM copies, secret',
      '(restorable for N days, 7-30, default 7), parameter, live copies, record',
      '(refused while ACM says something else uses it; archive kept)',
    ],
  },
  list: { options: [], names: 'none', summary: ['every certificate: state, expiry, next renewal, ACM ARN'] },
  show: { options: [], names: 'one', summary: ['everything known about one certificate, with its history'] },
  health: {
    options: ['domain'],
    names: 'none',
    summary: ["check S3, each certificate's archived pair and live/ copies, the CA directory, the account", "and the responder's public path (pass/fail per check)"],
  },
  rollover: {
    options: [],
    names: 'none',
    summary: ['replace the account key at every CA it is registered with (RFC 8555 key change), the account', 'URLs unchanged: publish the next key, wait JWK_REFRESH_SECONDS, change it at each CA, retire the old'],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
}

/** What parseArgs makes of OPTIONS: booleans false unless given, strings absent unless given. */
export type OptionValues = ReturnType<typeof parse>['values'];

export type CommandLine =
  /** No command, or --help: the usage text is printed (exit 0 only when asked for). */
  { readonly command: undefined; readonly help: boolean } | { readonly command: CommandName; readonly help: boolean; readonly values: OptionValues; readonly names: readonly string[] };

/**
 * Parses argv against the table: an unknown command, an option the command does not take, or the
 * wrong number of NAMEs is ERR_USAGE naming it, before anything is read or written.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const parsed = parse(argv);
  const values = parsed.values;
  const [command, ...names] = parsed.positionals;
  if (command === undefined) return { command: undefined, help: values.help };
  if (!isCommand(command)) throw usage(`unknown command "${command}"; the commands are ${Object.keys(COMMANDS).join(', ')}`);
  if (values.help) return { command: undefined, help: true };
  const spec: CommandSpec = COMMANDS[command];
  for (const option of Object.keys(OPTIONS) as OptionName[]) {
    if (!given(values[option]) || spec.options.includes(option) || (GLOBAL_OPTIONS as readonly string[]).includes(option)) continue;
    const owners = Object.entries(COMMANDS)
      .filter(([, other]) => (other.options as readonly string[]).includes(option))
      .map(([name]) => `\`${name}\``);
    throw usage(`${command} takes no --${option}: it is an option of ${owners.join(', ')} only`, spec.refusalHints?.[option]);
  }
  if (spec.names === 'none' && names.length > 0) throw usage(`${command} takes no NAME argument (got "${names.join(' ')}")`);
  if (spec.names === 'one' && names.length !== 1) throw usage(`${command} needs exactly one certificate NAME (run \`list\` for the names)`);
  return { command, help: false, values, names };
}

export function usageText(): string {
  const column = 33;
  const lines = ['usage: cli <command> [options]', '', 'commands:'];
  for (const [name, spec] of Object.entries(COMMANDS) as [CommandName, CommandSpec][]) {
    const head = `  ${name} ${synopsisOf(spec)}`.trimEnd();
    const [first = '', ...more] = spec.summary;
    if (head.length < column - 1) lines.push(`${head.padEnd(column)}${first}`);
    else lines.push(head, `${' '.repeat(column)}${first}`);
    for (const line of more) lines.push(`${' '.repeat(column)}${line}`);
  }
  lines.push(
    '',
    'options of every command:',
    '  --json                         JSON lines on stdout (the default when stdout is not a terminal)',
    '  -h, --help                     this text',
    '',
    'exit codes: 0 ok, 1 internal error, 2 usage or configuration, 3 validation failed at the CA,',
    '            4 CA error, 5 S3 error, 6 ACM error, 7 lease held by another issuer, 8 not found,',
    '            9 pre-flight check failed (no order placed), 10 a health check failed,',
    '            11 AWS denied a request (the message names the action and resource to grant)',
  );
  return lines.join('\n');
}

function synopsisOf(spec: CommandSpec): string {
  if (spec.synopsis !== undefined) return spec.synopsis;
  const names = { none: [], one: ['NAME'], any: ['[NAME...]'] }[spec.names];
  const options = spec.options.map((option) => {
    const o: OptionSpec = OPTIONS[option];
    return `[--${option}${o.value === undefined ? '' : ` ${o.value}`}${o.multiple ? '...' : ''}]`;
  });
  return [...names, ...options].join(' ');
}

function isCommand(value: string): value is CommandName {
  return Object.hasOwn(COMMANDS, value);
}

/** Booleans are false and strings absent unless given on the command line. */
function given(value: unknown): boolean {
  return value !== undefined && value !== false;
}

export function usage(message: string, hint = 'run with --help for the commands and options'): IssuerError {
  return new IssuerError(ErrorCodes.USAGE, message, { hint });
}
