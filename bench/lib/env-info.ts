// The machine's description and the version of every tool, recorded with each result.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runtimePaths } from '../../scripts/local/runtimes.mjs';
import { repoRoot } from './stack.js';
import { benchDir, imageNode } from './tools.js';

function sh(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return (e.stdout || e.stderr || 'unknown').toString().trim();
  }
}

const pkg = (name: string) => {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export function machine() {
  const release = (() => {
    try {
      return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: release,
    kernel: os.release(),
    arch: os.arch(),
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export function versions() {
  return {
    ours: process.env.BENCH_OURS_REF
      ? `${sh('git', ['rev-parse', '--short', process.env.BENCH_OURS_REF])} (BENCH_OURS_REF=${process.env.BENCH_OURS_REF})`
      : `working tree at ${sh('git', ['rev-parse', '--short', 'HEAD'])}${sh('git', ['status', '--porcelain', '--', 'container', 'lambdas', 'lib']) ? ' (+ uncommitted changes in container/lambdas/lib)' : ''}`,
    node: process.version,
    'node (image runtime)': sh(imageNode, ['--version']),
    'acme-client': pkg('acme-client'),
    '@aws-sdk/client-s3': pkg('@aws-sdk/client-s3'),
    '@middy/core': pkg('@middy/core'),
    esbuild: pkg('esbuild'),
    tsx: pkg('tsx'),
    certbot: sh(join(benchDir, 'certbot-venv', 'bin', 'certbot'), ['--version']),
    'certbot-debian': sh('/usr/bin/certbot', ['--version']),
    lego: sh(join(benchDir, 'bin', 'lego'), ['--version']),
    pebble: `Debian ${sh('dpkg-query', ['-W', '-f', '${Version}', 'pebble'])}`,
    moto: sh('python3', ['-c', 'import moto; print(moto.__version__)']),
    'lambda runtime (emulator, aws-lambda-ric, Node)': lambdaRuntime(),
    python: sh('python3', ['--version']),
    go: sh('go', ['version']),
  };
}

/** What the responder's cold start runs under (scripts/local/runtimes.mjs installs it). */
function lambdaRuntime(): string {
  const paths = runtimePaths();
  return existsSync(paths.emulator.bin) && existsSync(paths.ric.entry) ? `${paths.emulator.version}, ${paths.ric.version}, ${sh(paths.lambda.node, ['--version'])}` : 'not installed';
}
