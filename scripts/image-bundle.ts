// The issuer image's bundling step, read out of container/Dockerfile, so that the tests and the
// bench run the very command the image build runs instead of a copy that could drift from it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCKERFILE_OUTFILE = '/out/cli.mjs';

/** The Dockerfile's instructions, continuation lines joined and comments dropped, split into stages. */
export function dockerfileStages(root = repoRoot): string[][] {
  const text = readFileSync(join(root, 'container', 'Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return instructions.reduce<string[][]>((all, line) => {
    if (/^FROM\s/i.test(line)) all.push([]);
    all.at(-1)?.push(line);
    return all;
  }, []);
}

/** The build stage's `npx esbuild …` command (without the `&&` check that follows it). */
export function imageBundleCommand(root = repoRoot): string {
  const run = dockerfileStages(root)[0]?.find((line) => line.startsWith('RUN npx esbuild'));
  if (run === undefined) throw new Error('container/Dockerfile has no `RUN npx esbuild` line in its build stage');
  const command = run.replace(/^RUN /, '').split('&&')[0]!.trim();
  if (!command.includes(`--outfile=${DOCKERFILE_OUTFILE}`)) throw new Error(`the Dockerfile's esbuild command no longer writes ${DOCKERFILE_OUTFILE}`);
  return command;
}

/**
 * Runs the image's esbuild command in `cwd` (the repository, or an extracted revision of it under
 * a directory whose parents hold node_modules), writing `outfile`. esbuild is this checkout's.
 */
export function buildImageBundle(outfile: string, cwd = repoRoot): void {
  const command = imageBundleCommand(cwd)
    .replace(/^npx esbuild /, `${join(repoRoot, 'node_modules', '.bin', 'esbuild')} `)
    .replace(`--outfile=${DOCKERFILE_OUTFILE}`, `--outfile=${outfile}`);
  execFileSync('bash', ['-c', command], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
}
