import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLockWith, versionsToCheck } from '../../scripts/check-lock.mjs';
import { BUNDLED_NPM, bundledNpm, imageNodeVersion, repoRoot } from '../../scripts/toolchains.mjs';

// npm 11 (this machine's) accepted a lock that the npm of Node 20 and 22 refused, which broke the
// README's `npm ci` and the image's `RUN npm ci` for everyone else. Each npm users have must accept it.
describe('package-lock.json', () => {
  it.each(versionsToCheck())(
    'is accepted by npm@%s ci',
    (version) => {
      const { ok, output } = checkLockWith(version);
      expect(ok, output).toBe(true);
    },
    120_000,
  );

  it("includes the npm that the image's Node bundles and the npm of Node 20, 22 and 24", () => {
    expect(versionsToCheck()).toContain(bundledNpm(imageNodeVersion()));
    expect(versionsToCheck()).toEqual(expect.arrayContaining(['10.8.2', '10.9.2']));
    expect(BUNDLED_NPM.map((entry) => entry.from.split('.')[0])).toEqual(expect.arrayContaining(['20', '22', '24']));
  });

  it('is refused when an entry a dependency needs is missing (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acme-lock-broken-'));
    mkdirSync(join(dir, 'container'));
    copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(repoRoot, 'container', 'Dockerfile'), join(dir, 'container', 'Dockerfile'));
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    delete lock.packages['node_modules/esbuild'];
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
    const { ok, output } = checkLockWith('10.9.2', dir);
    expect(ok).toBe(false);
    expect(output).toContain('Missing: esbuild@');
  }, 120_000);
});

describe('bundledNpm', () => {
  it('knows the npm of the Node lines users and production run, and refuses to guess others', () => {
    expect(bundledNpm('20.20.2')).toBe('10.8.2');
    expect(bundledNpm('22.23.3')).toBe('10.9.8');
    expect(bundledNpm('24.21.0')).toBe('11.19.0');
    expect(() => bundledNpm('22.18.0')).toThrow(/not recorded in scripts\/toolchains\.mjs/);
    expect(() => bundledNpm('26.0.0')).toThrow(/BUNDLED_NPM/);
  });
});
