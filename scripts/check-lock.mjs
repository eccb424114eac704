#!/usr/bin/env node
// Checks that every npm users have accepts package-lock.json: `npm@V ci --dry-run` in a copy that
// holds only package.json and the lock (a second each, nothing installed). npm 11 accepts locks that
// npm 10 refuses (a nested range it resolved differently), so a green `npm ci` here proves nothing
// for a stock Node 20 or 22, nor for the image's `RUN npm ci`.
// Usage: node scripts/check-lock.mjs            (every version in scripts/toolchains.mjs)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NPM_VERSIONS, bundledNpm, imageNodeVersion, repoRoot } from './toolchains.mjs';

/** `npm ci --dry-run` with one npm version; `{ ok, output }`. */
export function checkLockWith(npmVersion, root = repoRoot) {
  const dir = mkdtempSync(join(tmpdir(), 'acme-lock-check-'));
  try {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(root, file), join(dir, file));
    const result = spawnSync('npx', ['-y', `npm@${npmVersion}`, 'ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
      // The lock is judged on its own: no project .npmrc, no cache-only mode of the caller's.
      env: { ...process.env, npm_config_offline: 'false' },
      timeout: 120_000,
    });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The versions to check: every user npm, plus the one the image's Node bundles. */
export function versionsToCheck(root = repoRoot) {
  return [...new Set([...NPM_VERSIONS, bundledNpm(imageNodeVersion(root))])];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = 0;
  for (const version of versionsToCheck()) {
    const { ok, output } = checkLockWith(version);
    if (ok) {
      console.log(`ok   npm@${version} ci accepts package-lock.json`);
    } else {
      failed += 1;
      const missing = output
        .split('\n')
        .filter((line) => /Missing:|Invalid:|ERR/.test(line))
        .slice(0, 8);
      console.error(`FAIL npm@${version} ci refuses package-lock.json:\n  ${(missing.length > 0 ? missing : output.split('\n').slice(-8)).join('\n  ')}`);
    }
  }
  if (failed > 0) {
    console.error('fix: make every dependency range resolvable to one version that npm 10 and 11 agree on (see docs/architecture.md#dependencies), then `just lock`');
    process.exit(1);
  }
}
