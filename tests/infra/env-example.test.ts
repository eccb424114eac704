import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './synth.js';

// .env.example is the one place a person learns what can be configured: every variable the code
// reads must be in it (set, or named in a comment when it has no local value), and in
// docs/configuration.md or docs/deploy.md.
const SOURCES = ['bin', 'lib', 'container', 'lambdas', 'scripts/local'];
/** Read from the environment but not ours to configure. */
const NOT_OURS = new Set(['PATH', 'HOME']);
const READS = /(?:reader\.[a-zA-Z]+\(|read[A-Za-z]+\(reader, |env\[|process\.env\.|process\.env\[)'?([A-Z][A-Z0-9_]+)/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|mjs)$/.test(entry) ? [path] : [];
  });
}

function variablesRead(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of SOURCES.flatMap((dir) => files(join(REPO_ROOT, dir)))) {
    for (const match of readFileSync(file, 'utf8').matchAll(READS)) {
      if (!NOT_OURS.has(match[1]!) && !found.has(match[1]!)) found.set(match[1]!, relative(REPO_ROOT, file));
    }
  }
  return found;
}

describe('.env.example', () => {
  const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
  const docs = ['docs/configuration.md', 'docs/deploy.md', 'docs/cli.md'].map((file) => readFileSync(join(REPO_ROOT, file), 'utf8')).join('\n');
  const read = variablesRead();

  it('finds the variables the code reads (the scan itself works)', () => {
    for (const name of ['ACME_DIRECTORY', 'CERT_BUCKET', 'DEPLOY_ACME_CONTACT_EMAIL', 'PREFLIGHT_HTTP_PORT', 'RESPONDER_RUNTIME', 'JWK_REFRESH_SECONDS']) expect([...read.keys()]).toContain(name);
  });

  it('documents every variable the code reads, and the docs name each', () => {
    const undocumented = [...read].filter(([name]) => !new RegExp(`^(# .*)?\\b${name}\\b`, 'm').test(example)).map(([name, file]) => `${name} (read in ${file})`);
    expect(undocumented).toEqual([]);
    const notInDocs = [...read.keys()].filter((name) => !docs.includes(name));
    expect(notInDocs).toEqual([]);
  });
});
