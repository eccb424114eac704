#!/usr/bin/env node
// The Node runtimes production runs, installed from the npm registry into .local/runtimes so the
// tests run code where it will run: Node 22 as the image's base has it (with the npm it bundles,
// for the Dockerfile replay) and Node 24 as Lambda's nodejs24.x. Plain JavaScript: install.sh
// calls it before anything else is known to work. Safe to run again: an installed runtime is kept.
// Usage: node scripts/local/runtimes.mjs install | paths
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAMBDA_NODE_VERSION, bundledNpm, imageNodeVersion, repoRoot } from '../toolchains.mjs';

// Always the checkout's own .local: a test stack's LOCAL_STATE_DIR is short-lived, the runtimes are not.
const RUNTIMES_DIR = join(repoRoot, '.local', 'runtimes');

/**
 * Where each runtime lives. `binDir` holds `node` (and, for the image's Node, `npm` and `npx` of the
 * npm it bundles): put it first on PATH to run a command as that runtime would.
 */
export function runtimePaths(dir = RUNTIMES_DIR) {
  const image = imageNodeVersion();
  const npm = bundledNpm(image);
  const at = (version) => ({ version, home: join(dir, `node-${version}`), binDir: join(dir, `node-${version}`, 'bin'), node: join(dir, `node-${version}`, 'bin', 'node') });
  return {
    /** Node as the image's base image has it (container/Dockerfile's FROM), with its bundled npm. */
    image: { ...at(image), npm, npmHome: join(dir, `npm-${npm}`) },
    /** Node as Lambda's nodejs24.x runs the responder; `home` has the headers native addons build against. */
    lambda: at(LAMBDA_NODE_VERSION),
  };
}

/** Extracts a package tarball from the registry into `destination` (its `package/` folder's contents). */
function unpack(spec, destination) {
  const scratch = mkdtempSync(join(RUNTIMES_DIR, '.download-'));
  try {
    const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', scratch], { cwd: scratch, encoding: 'utf8' }).trim().split('\n').at(-1);
    mkdirSync(join(scratch, 'out'));
    execFileSync('tar', ['xzf', join(scratch, tarball), '-C', join(scratch, 'out'), '--strip-components=1']);
    rmSync(destination, { recursive: true, force: true });
    renameSync(join(scratch, 'out'), destination);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function nodePackage(version) {
  if (process.platform !== 'linux') throw new Error(`the production runtimes are Linux builds; this is ${process.platform}`);
  return `node-linux-${process.arch}@${version}`;
}

function installNode(runtime) {
  if (existsSync(runtime.node)) return false;
  unpack(nodePackage(runtime.version), runtime.home);
  chmodSync(runtime.node, 0o755);
  const version = execFileSync(runtime.node, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== `v${runtime.version}`) throw new Error(`${runtime.node} says ${version}, expected v${runtime.version}`);
  return true;
}

/** npm as Node bundles it, run by that Node: `bin/npm` and `bin/npx` beside its `node`. */
function installBundledNpm(runtime) {
  const cli = join(runtime.npmHome, 'bin', 'npm-cli.js');
  if (!existsSync(cli)) unpack(`npm@${runtime.npm}`, runtime.npmHome);
  for (const [name, script] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']]) {
    const wrapper = join(runtime.binDir, name);
    writeFileSync(wrapper, `#!/bin/sh\nexec "${runtime.node}" "${join(runtime.npmHome, 'bin', script)}" "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
}

export function installRuntimes() {
  mkdirSync(RUNTIMES_DIR, { recursive: true });
  const paths = runtimePaths();
  const installed = [];
  if (installNode(paths.image)) installed.push(`Node ${paths.image.version} (the image's)`);
  installBundledNpm(paths.image);
  if (installNode(paths.lambda)) installed.push(`Node ${paths.lambda.version} (Lambda's)`);
  // Leftovers of an interrupted download.
  for (const entry of readdirSync(RUNTIMES_DIR)) if (entry.startsWith('.download-')) rmSync(join(RUNTIMES_DIR, entry), { recursive: true, force: true });
  return installed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2] ?? 'install';
  if (command === 'install') {
    for (const line of installRuntimes()) console.error(`installed ${line} into ${RUNTIMES_DIR}`);
  } else if (command === 'paths') {
    console.log(JSON.stringify(runtimePaths(), null, 2));
  } else {
    console.error('usage: node scripts/local/runtimes.mjs install | paths');
    process.exit(2);
  }
}
