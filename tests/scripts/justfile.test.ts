// The justfile's argument forwarding, through the project's own just (npm rust-just): an argument
// reaches the command as one word and is never read by a shell, whatever it holds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

function just(args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync('npx', ['just', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

interface DumpedRecipe {
  readonly attributes: readonly (string | Record<string, unknown>)[];
  readonly parameters: readonly { readonly name: string }[];
  readonly body: readonly unknown[];
}

describe('just forwards arguments untouched', () => {
  it('`just issuer show` gets a name holding ; $( ) and spaces as one argument, and runs nothing of it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'just-args-'));
    const injected = `a;touch ${join(dir, 'semicolon')}`;
    const substituted = `$(touch ${join(dir, 'substitution')})`;
    for (const name of [injected, substituted]) {
      // LOCAL_IAM_ENFORCE=false: the CLI and no CA file run without a local stack; the CLI refuses the name before any request.
      const result = just(['issuer', 'show', name, '--json'], { LOCAL_IAM_ENFORCE: 'false', ACME_TLS_CA_FILE: '' });
      expect(result.status, result.stderr).toBe(2);
      const error = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { event?: string; message?: string })
        .find((event) => event.event === 'error');
      // The CLI names the value it got: the whole string, one argument, unexpanded.
      expect(error?.message).toContain(`"${name}"`);
    }
    expect(existsSync(join(dir, 'semicolon'))).toBe(false);
    expect(existsSync(join(dir, 'substitution'))).toBe(false);
  }, 60_000);

  it('every recipe with parameters takes them as positional arguments and never interpolates them', () => {
    const result = just(['--dump', '--dump-format', 'json']);
    expect(result.status, result.stderr).toBe(0);
    const recipes = (JSON.parse(result.stdout) as { recipes: Record<string, DumpedRecipe> }).recipes;
    const forwarding = Object.entries(recipes).filter(([, recipe]) => recipe.parameters.length > 0);
    expect(forwarding.map(([name]) => name)).toContain('issuer');
    for (const [name, recipe] of forwarding) {
      expect(recipe.attributes, name).toContain('positional-arguments');
      const body = JSON.stringify(recipe.body);
      for (const parameter of recipe.parameters) expect(body, `${name} interpolates {{${parameter.name}}}`).not.toContain(`["variable","${parameter.name}"]`);
    }
  });
});
