import { ErrorCodes, IssuerError } from './errors.js';

/**
 * Typed configuration from environment variables (loaded by `just` from `.env`). Every reader
 * names the variable and the expected form when a value is wrong, and `collect` gathers all
 * problems so a person fixes them in one go. Order of sources: process environment only;
 * `.env` reaches it through just's dotenv-load, never read here.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Variables whose value no message may quote, with why. Marked here, in the one reader every
 * variable goes through, so a rule written later cannot echo them: a configuration error reaches
 * stderr, CloudWatch Logs and CI logs. The secret ARN is listed because the HMAC key itself is what
 * people paste into it by mistake.
 */
export const SECRET_VARIABLES = {
  ACME_EAB_HMAC_KEY: 'the External Account Binding HMAC key',
  ACME_EAB_HMAC_KEY_ZEROSSL: "ZeroSSL's External Account Binding HMAC key",
  DEPLOY_ACME_EAB_HMAC_SECRET_ARN: 'the EAB HMAC key is what gets pasted here by mistake',
  DEPLOY_ACME_EAB_HMAC_SECRET_ARN_ZEROSSL: "ZeroSSL's EAB HMAC key is what gets pasted here by mistake",
} as const;
export type SecretVariable = keyof typeof SECRET_VARIABLES;

export function isSecretVariable(name: string): name is SecretVariable {
  return Object.hasOwn(SECRET_VARIABLES, name);
}

// Shorter values are not searched for in messages: replacing a 3-letter value everywhere would
// garble every message, and no CA hands out an HMAC key that short.
const MIN_REDACTED_LENGTH = 8;

export class ConfigReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  private problem(name: string, expected: string, value: string | undefined): undefined {
    this.problems.push(value === undefined ? `${name} is not set; expected ${expected}` : `${this.quote(name, value)} is not valid; expected ${expected}`);
    return undefined;
  }

  /** `NAME="value"` for a message, or only the name when the variable is secret. */
  quote(name: string, value: string): string {
    return isSecretVariable(name) ? `${name} (value not shown: secret)` : `${name}="${value}"`;
  }

  /** Every secret variable's value in `message` replaced by its name: the net under every rule. */
  private redact(message: string): string {
    let out = message;
    for (const name of Object.keys(SECRET_VARIABLES)) {
      const value = this.raw(name);
      if (value !== undefined && value.length >= MIN_REDACTED_LENGTH) out = out.split(value).join(`<${name}>`);
    }
    return out;
  }

  string(name: string, options: { default?: string; pattern?: RegExp; expected?: string } = {}): string {
    const value = this.raw(name) ?? options.default;
    const expected = options.expected ?? 'a non-empty string';
    if (value === undefined) return this.problem(name, expected, undefined) ?? '';
    if (options.pattern !== undefined && !options.pattern.test(value)) return this.problem(name, expected, value) ?? '';
    return value;
  }

  optionalString(name: string, options: { pattern?: RegExp; expected?: string } = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (options.pattern !== undefined && !options.pattern.test(value)) {
      return this.problem(name, options.expected ?? 'a valid value', value);
    }
    return value;
  }

  oneOf<const T extends readonly string[]>(name: string, choices: T, fallback: T[number]): T[number] {
    const value = this.raw(name) ?? fallback;
    if (!choices.includes(value)) return this.problem(name, `one of ${choices.join(', ')}`, value) ?? fallback;
    return value;
  }

  integer(name: string, options: { default: number; min: number; max: number }): number {
    const value = this.raw(name);
    if (value === undefined) return options.default;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < options.min || parsed > options.max) {
      return this.problem(name, `an integer from ${options.min} to ${options.max}`, value) ?? options.default;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    return this.problem(name, 'true or false', value) ?? fallback;
  }

  url(name: string, options: { default?: string; protocols?: readonly string[] } = {}): string | undefined {
    const value = this.raw(name) ?? options.default;
    if (value === undefined) return undefined;
    const protocols = options.protocols ?? ['https:', 'http:'];
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      return this.problem(name, `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`, value);
    }
  }

  /** Records a problem found by the caller (cross-variable rules). */
  report(message: string): void {
    this.problems.push(message);
  }

  /** Throws once with every problem found. */
  done<T>(value: T): T {
    if (this.problems.length > 0) {
      throw new IssuerError(ErrorCodes.CONFIG_INVALID, this.redact(`configuration is not valid:\n  - ${this.problems.join('\n  - ')}`), {
        hint: 'fix the variables above in .env (every variable is documented in .env.example and docs/configuration.md)',
      });
    }
    return value;
  }
}
