// The CLI's table of commands and options, as pure functions (the real CLI process is exercised in
// tests/reliability/bad-input.test.ts): what each command accepts, what it refuses, and --help.
import { describe, expect, it } from 'vitest';
import { COMMANDS, parseCommandLine, usageText } from '../../container/command-line.js';
import { IssuerError } from '../../lib/core/index.js';

function refusal(argv: readonly string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).code).toBe('ERR_USAGE');
    return (error as IssuerError).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseCommandLine', () => {
  it.each([
    [['issue', '--name', 'a', '--domain', 'a.example.com', '--domain', 'b.example.com', '--skip-preflight'], 'issue', []],
    [['renew', 'a', 'b', '--force', '--dry-run', '--json'], 'renew', ['a', 'b']],
    [['delete', 'a', '--recovery-days', '9'], 'delete', ['a']],
    [['health', '--domain', 'a.example.com'], 'health', []],
    [['register', '--new-account'], 'register', []],
    [['declare', '--name', 'a', '--domain', 'a.example.com', '--ca', 'letsencrypt', '--region', 'us-east-1', '--region', 'eu-west-1', '--export', 'none', '--now'], 'declare', []],
    [['certonly', '--name', 'a', '--domain', 'a.example.com', '--key-type', 'ec-p256'], 'certonly', []],
    [['undeclare', 'a'], 'undeclare', ['a']],
    [['undeclare', '--name', 'a'], 'undeclare', []],
    [['rollover'], 'rollover', []],
  ])('accepts %j', (argv, command, names) => {
    expect(parseCommandLine(argv)).toMatchObject({ command, names });
  });

  it.each([
    [['issue', '--name', 'a', '--dry-run'], 'issue takes no --dry-run: it is an option of `renew` only'],
    [['list', '--force'], 'list takes no --force: it is an option of `renew` only'],
    [['delete', 'a', '--rotate-key'], 'delete takes no --rotate-key: it is an option of `issue`, `renew` only'],
    [['renew', '--new-arn'], 'renew takes no --new-arn: it is an option of `issue` only'],
    [['show'], 'show needs exactly one certificate NAME (run `list` for the names)'],
    [['revoke', 'a', 'b'], 'revoke needs exactly one certificate NAME (run `list` for the names)'],
    [['issue', 'stray', '--name', 'a'], 'issue takes no NAME argument (got "stray")'],
    [['certonly', '--name', 'a', '--now'], 'certonly takes no --now: it is an option of `declare` only'],
    [['issue', '--name', 'a', '--ca', 'letsencrypt'], 'issue takes no --ca: it is an option of `declare`, `certonly` only'],
    [['rollover', '--new-account'], 'rollover takes no --new-account: it is an option of `register` only'],
    [['frobnicate'], 'unknown command "frobnicate"; the commands are register, issue, declare, certonly, undeclare, renew, revoke, delete, list, show, health, rollover'],
  ])('refuses %j', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  it('says why renew has no --new-arn in the hint', () => {
    const thrown = (() => {
      try {
        parseCommandLine(['renew', '--new-arn']);
      } catch (error) {
        return error as IssuerError;
      }
      return undefined;
    })();
    expect(thrown?.hint).toMatch(/moves the certificate to a new ACM ARN by itself/);
  });

  it('prints the usage for --help and for no command', () => {
    expect(parseCommandLine(['--help'])).toEqual({ command: undefined, help: true });
    expect(parseCommandLine(['issue', '--help'])).toEqual({ command: undefined, help: true });
    expect(parseCommandLine([])).toEqual({ command: undefined, help: false });
  });
});

describe('usageText', () => {
  it('names every command with every option it takes', () => {
    const text = usageText();
    for (const [command, spec] of Object.entries(COMMANDS)) {
      const line = text.split('\n').find((l) => l.startsWith(`  ${command} `) || l === `  ${command}`);
      expect(line, command).toBeDefined();
      for (const option of spec.options) expect(line, `${command} --${option}`).toContain(`--${option}`);
    }
  });
});
