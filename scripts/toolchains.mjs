// The Node and npm versions the project must work with: what users install, what the image builds
// on, what Lambda runs. One list for .ci/run, `just lock`, the tests and the Dockerfile replay.
// Plain JavaScript: .ci/run checks the lock with it before `npm ci` has installed anything.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The npm each Node release bundles, from Node's changelogs ("deps: upgrade npm to …"): a stock
 * `node` install, the official images and nvm give users exactly these. Ranges are [from, to).
 */
export const BUNDLED_NPM = [
  { from: '20.17.0', to: '21.0.0', npm: '10.8.2', line: 'Node 20 (past end of life, still the default of many machines)' },
  { from: '22.13.0', to: '22.18.0', npm: '10.9.2', line: 'Node 22 as most machines and CI images had it through 2025' },
  { from: '22.22.3', to: '22.24.0', npm: '10.9.8', line: 'Node 22 today (22.22.3 bumped npm to 10.9.8; no later 22.x bump): the image' },
  { from: '24.21.0', to: '24.22.0', npm: '11.19.0', line: "Node 24, Lambda's runtime" },
];

/** Every npm that `npm ci` must accept the lock with. */
export const NPM_VERSIONS = [...new Set(BUNDLED_NPM.map((entry) => entry.npm))];

const numeric = (version) => version.split('.').map(Number);
const before = (a, b) => {
  const [x, y] = [numeric(a), numeric(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return false;
};

/** The npm bundled with a Node version; throws for a version not recorded above. */
export function bundledNpm(nodeVersion) {
  const entry = BUNDLED_NPM.find(({ from, to }) => !before(nodeVersion, from) && before(nodeVersion, to));
  if (entry === undefined) {
    throw new Error(`the npm bundled with Node ${nodeVersion} is not recorded in scripts/toolchains.mjs (BUNDLED_NPM); look it up in Node's changelog and add it`);
  }
  return entry.npm;
}

/** The Node version of the image's base (container/Dockerfile `FROM node:X.Y.Z-…`): all stages must agree. */
export function imageNodeVersion(root = repoRoot) {
  const text = readFileSync(join(root, 'container', 'Dockerfile'), 'utf8');
  const versions = [...text.matchAll(/^FROM\s+node:(\S+?)-\S+/gm)].map((match) => match[1]);
  if (versions.length === 0) throw new Error('container/Dockerfile has no `FROM node:VERSION-…` line');
  const distinct = [...new Set(versions)];
  if (distinct.length !== 1 || !/^\d+\.\d+\.\d+$/.test(distinct[0])) {
    throw new Error(`container/Dockerfile's stages must all pin one exact Node version (FROM node:X.Y.Z-…); found ${distinct.join(', ')}`);
  }
  return distinct[0];
}

/**
 * Node 24 as Lambda's nodejs24.x runs it (the responder's runtime). Lambda moves patch releases on
 * its own; this is the newest 24.x the npm registry serves here.
 */
export const LAMBDA_NODE_VERSION = '24.21.0';
