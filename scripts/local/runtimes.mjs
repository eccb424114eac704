#!/usr/bin/env node
// The Node runtimes production runs, installed from the npm registry into .local/runtimes so the
// tests run code where it will run: Node 22 as the image's base has it (with the npm it bundles,
// for the Dockerfile replay) and Node 24 as Lambda's nodejs24.x; with it the Lambda runtime itself:
// AWS's Runtime Interface Emulator (Go module proxy, into .local/bin) and the Node.js Runtime
// Interface Client aws-lambda-ric (npm, built by Node 24's own npm against its headers), which is
// what runs the handler on Lambda. Plain JavaScript: install.sh calls it before anything else is
// known to work. Safe to run again: an installed runtime is kept.
// Usage: node scripts/local/runtimes.mjs install | paths
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAMBDA_NODE_VERSION, bundledNpm, imageNodeVersion, repoRoot } from '../toolchains.mjs';

// Always the checkout's own .local: a test stack's LOCAL_STATE_DIR is short-lived, the runtimes are not.
const RUNTIMES_DIR = join(repoRoot, '.local', 'runtimes');
const BIN_DIR = join(repoRoot, '.local', 'bin');

/**
 * The emulator's module and version. The Go module proxy serves no tagged release of it (v1.x are
 * not served), only pseudo-versions: this one is the newest it served on 2026-10-30.
 */
const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator';
const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';
/** The runtime interface client; 4.x is the line for Node 22 and later. */
const RIC_VERSION = '4.0.2';

/**
 * Where each runtime lives. `binDir` holds `node` (and, for the image's Node, `npm` and `npx` of the
 * npm it bundles): put it first on PATH to run a command as that runtime would.
 */
export function runtimePaths(dir = RUNTIMES_DIR) {
  const image = imageNodeVersion();
  const npm = bundledNpm(image);
  const lambdaNpm = bundledNpm(LAMBDA_NODE_VERSION);
  const ricHome = join(dir, `aws-lambda-ric-${RIC_VERSION}`, 'node_modules', 'aws-lambda-ric');
  const at = (version) => ({ version, home: join(dir, `node-${version}`), binDir: join(dir, `node-${version}`, 'bin'), node: join(dir, `node-${version}`, 'bin', 'node') });
  return {
    /** Node as the image's base image has it (container/Dockerfile's FROM), with its bundled npm. */
    image: { ...at(image), npm, npmHome: join(dir, `npm-${npm}`) },
    /** Node as Lambda's nodejs24.x runs the responder; `home` has the headers native addons build against. */
    lambda: { ...at(LAMBDA_NODE_VERSION), npm: lambdaNpm, npmHome: join(dir, `npm-${lambdaNpm}`) },
    /** AWS's Runtime Interface Emulator: the Lambda service's side of the runtime API, for one function. */
    emulator: { version: RIE_VERSION, bin: join(BIN_DIR, 'aws-lambda-rie') },
    /** aws-lambda-ric, built for the Lambda Node: `entry` is what the emulator starts with that Node. */
    ric: { version: RIC_VERSION, home: ricHome, entry: join(ricHome, 'index.mjs') },
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
  for (const [name, script] of [
    ['npm', 'npm-cli.js'],
    ['npx', 'npx-cli.js'],
  ]) {
    const wrapper = join(runtime.binDir, name);
    writeFileSync(wrapper, `#!/bin/sh\nexec "${runtime.node}" "${join(runtime.npmHome, 'bin', script)}" "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
}

const onPath = (command) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Builders from Debian's packages, installed with apt when we are root (as install.sh does for pebble). */
function ensureTools(what, tools) {
  const missing = tools.filter(([command]) => !onPath(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const names = missing.map(([command]) => command).join(', ');
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} needs ${names}, which are not on PATH: install the Debian packages ${packages.join(' ')} (apt-get install ${packages.join(' ')}) and run again`);
  }
  console.error(`installing ${packages.join(' ')} (Debian packages) to build ${what}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const still = missing.filter(([command]) => !onPath(command));
  if (still.length > 0) throw new Error(`${what}: ${still.map(([command]) => command).join(', ')} still not on PATH after apt-get install ${packages.join(' ')}`);
}

/** aws-lambda-rie from the Go module proxy, into .local/bin (with a .version file beside it). */
function installEmulator(emulator) {
  const versionFile = `${emulator.bin}.version`;
  if (existsSync(emulator.bin) && existsSync(versionFile) && readFileSync(versionFile, 'utf8').trim() === emulator.version) return false;
  ensureTools('the Lambda Runtime Interface Emulator', [['go', 'golang-go']]);
  mkdirSync(BIN_DIR, { recursive: true });
  const scratch = mkdtempSync(join(RUNTIMES_DIR, '.download-'));
  try {
    execFileSync('go', ['install', `${RIE_MODULE}/cmd/aws-lambda-rie@${emulator.version}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, GOBIN: scratch, GOFLAGS: '-mod=mod' },
    });
    renameSync(join(scratch, 'aws-lambda-rie'), emulator.bin);
    writeFileSync(versionFile, `${emulator.version}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return true;
}

/**
 * aws-lambda-ric, installed by the Lambda Node's own npm into a folder of its own (a runtime, not
 * a dependency of ours). Its install scripts build curl and aws-lambda-cpp and the native addon:
 * cmake, make and g++, against the Lambda Node's headers (npm_config_nodedir, which also overrides
 * any nodedir of the user's npmrc).
 */
function installRic(paths) {
  const { ric, lambda } = paths;
  const addon = join(ric.home, 'rapid-client.node');
  const prefix = join(ric.home, '..', '..');
  if (existsSync(addon) && JSON.parse(readFileSync(join(ric.home, 'package.json'), 'utf8')).version === ric.version) return false;
  ensureTools('aws-lambda-ric', [
    ['cmake', 'cmake'],
    ['make', 'make'],
    ['g++', 'g++'],
    ['python3', 'python3'],
  ]);
  const scratch = mkdtempSync(join(RUNTIMES_DIR, '.download-'));
  try {
    // allowScripts: npm 11 asks for its install scripts to be approved (a later npm blocks them otherwise)
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ private: true, dependencies: { 'aws-lambda-ric': ric.version }, allowScripts: { [`aws-lambda-ric@${ric.version}`]: true } }, null, 2));
    execFileSync(join(lambda.binDir, 'npm'), ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: scratch,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PATH: `${lambda.binDir}:${process.env.PATH}`, npm_config_nodedir: lambda.home },
    });
    // the addon must load in the Node that will run it (it reads the runtime API's address on load; nothing is contacted)
    execFileSync(lambda.node, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(join(scratch, 'node_modules', 'aws-lambda-ric', 'rapid-client.node'))})`], {
      env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' },
    });
    rmSync(prefix, { recursive: true, force: true });
    renameSync(scratch, prefix);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return true;
}

export function installRuntimes() {
  mkdirSync(RUNTIMES_DIR, { recursive: true });
  const paths = runtimePaths();
  const installed = [];
  if (installNode(paths.image)) installed.push(`Node ${paths.image.version} (the image's) into ${RUNTIMES_DIR}`);
  installBundledNpm(paths.image);
  if (installNode(paths.lambda)) installed.push(`Node ${paths.lambda.version} (Lambda's) into ${RUNTIMES_DIR}`);
  installBundledNpm(paths.lambda);
  if (installEmulator(paths.emulator)) installed.push(`aws-lambda-rie ${paths.emulator.version} (the Lambda Runtime Interface Emulator) into ${BIN_DIR}`);
  if (installRic(paths)) installed.push(`aws-lambda-ric ${paths.ric.version} (built for Node ${paths.lambda.version}) into ${RUNTIMES_DIR}`);
  // Leftovers of an interrupted download.
  for (const entry of readdirSync(RUNTIMES_DIR)) if (entry.startsWith('.download-')) rmSync(join(RUNTIMES_DIR, entry), { recursive: true, force: true });
  return installed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2] ?? 'install';
  if (command === 'install') {
    for (const line of installRuntimes()) console.error(`installed ${line}`);
  } else if (command === 'paths') {
    console.log(JSON.stringify(runtimePaths(), null, 2));
  } else {
    console.error('usage: node scripts/local/runtimes.mjs install | paths');
    process.exit(2);
  }
}
