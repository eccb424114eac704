import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_EXCLUDE } from '../../lib/constructs/issuer-task.js';
import { dockerfileStages, imageBundleCommand } from '../../scripts/image-bundle.js';
import { REPO_ROOT } from './synth.js';

// No Docker engine here: the image itself is built at deploy time. These tests read the
// Dockerfile as Docker would and run its bundling step for real.
const stages = dockerfileStages();

describe('container/Dockerfile', () => {
  it('is multi-stage: a build stage and a small official Node 22/24 runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = stages.at(-1)!;
    expect(runtime[0]).toMatch(/^FROM node:(22|24)\.\d+\.\d+-(alpine|bookworm-slim|slim)\b/);
    expect(runtime.some((line) => /^COPY --from=build\b/.test(line))).toBe(true);
  });

  it('runs the bundled CLI as a non-root user, `renew` by default', () => {
    const runtime = stages.at(-1)!;
    const users = runtime.filter((line) => /^USER\s/i.test(line));
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(/\s+/)[1]!;
    expect(['root', '0', '0:0', 'root:root']).not.toContain(user);
    expect(runtime).toContain('ENTRYPOINT ["node", "/app/cli.mjs"]');
    expect(runtime).toContain('CMD ["renew"]');
    // USER comes before ENTRYPOINT so nothing after it runs as root.
    expect(runtime.indexOf(users.at(-1)!)).toBeLessThan(runtime.indexOf('ENTRYPOINT ["node", "/app/cli.mjs"]'));
  });

  it("build stage's esbuild command bundles container/cli.ts into one file that runs", () => {
    const esbuild = imageBundleCommand();
    expect(esbuild).toContain('--platform=node');
    expect(esbuild).toContain('--format=esm');
    expect(esbuild).toContain('createRequire');
    // Rebuild the build stage's context from its COPY lines only (node_modules stands in for
    // `npm ci`), so an import from outside what the Dockerfile copies fails here too.
    const context = mkdtempSync(join(tmpdir(), 'acme-docker-context-'));
    for (const copy of stages[0]!.filter((line) => /^COPY\s/.test(line) && !line.includes('--from'))) {
      const [, ...paths] = copy.split(/\s+/);
      const destination = paths.pop()!;
      for (const source of paths) {
        const target = destination.endsWith('/') && paths.length > 1 ? join(context, destination, basename(source)) : join(context, destination === './' ? source : destination);
        cpSync(join(REPO_ROOT, source), target, { recursive: true });
      }
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(context, 'node_modules'));
    const out = mkdtempSync(join(tmpdir(), 'acme-cli-bundle-'));
    const bundled = spawnSync('bash', ['-c', esbuild.replace('/out/cli.mjs', join(out, 'cli.mjs'))], { cwd: context, encoding: 'utf8' });
    expect(bundled.status, bundled.stderr).toBe(0);
    const help = spawnSync(process.execPath, [join(out, 'cli.mjs'), '--help'], { cwd: out, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('usage');
    // The image's default command is a real command of that bundle: without configuration it
    // stops on the configuration (exit 2, naming CERT_BUCKET), not on an unknown command.
    const renew = spawnSync(process.execPath, [join(out, 'cli.mjs'), 'renew', '--json'], { cwd: out, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(renew.status, renew.stdout + renew.stderr).toBe(2);
    expect(renew.stdout + renew.stderr).toContain('CERT_BUCKET is not set');
    expect(renew.stdout + renew.stderr).not.toContain('unknown command');
    expect(help.stdout).toMatch(/^\s+renew\b/m);
  }, 60_000);

  it("fills Node's compile cache at build time as the user the task runs as", () => {
    const runtime = stages.at(-1)!;
    const cacheDir = runtime.map((line) => /^ENV NODE_COMPILE_CACHE=(\S+)/.exec(line)?.[1]).find((dir) => dir !== undefined);
    expect(cacheDir).toBeDefined();
    // Node keeps one cache directory per uid: filled as root, it would never be read by `node`.
    const fill = runtime.findIndex((line) => /^RUN node \/app\/cli\.mjs\b/.test(line));
    const lastUser = runtime.reduce((at, line, i) => (/^USER\s/.test(line) ? i : at), -1);
    expect(fill).toBeGreaterThan(lastUser);
    expect(runtime.some((line) => line.startsWith('RUN install -d -o node') && line.includes(cacheDir!))).toBe(true);
  });

  it('.dockerignore keeps secrets and build output out, in step with the CDK asset excludes', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect([...ignored].sort()).toEqual([...IMAGE_EXCLUDE].sort());
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'node_modules', 'cdk.out', '.git']));
  });
});
