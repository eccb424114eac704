import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IMAGE_EXCLUDE } from '../../lib/constructs/issuer-task.js';
import { ReplayError, replayDockerfile } from '../../scripts/dockerfile-replay.js';
import { dockerfileStages, imageBundleCommand } from '../../scripts/image-bundle.js';
import { runtimePaths } from '../../scripts/local/runtimes.mjs';
import { bundledNpm } from '../../scripts/toolchains.mjs';
import { REPO_ROOT } from './synth.js';

// No Docker engine here: the image itself is built at deploy time. These tests read the
// Dockerfile as Docker would and replay its stages for real (scripts/dockerfile-replay.ts).
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

  it("replays stage by stage with the base image's own Node and npm: npm ci accepts the lock, the bundle builds and runs, as the task's user", () => {
    // Every RUN line for real, in a build context made from the COPY lines (tests once stood a
    // symlinked node_modules in for `RUN npm ci`, which hid a lock the image's npm refuses).
    const image = runtimePaths().image;
    expect(stages[0]![0]).toBe(`FROM node:${image.version}-bookworm-slim AS build`);
    const { dir, stages: replayed, steps } = replayDockerfile();
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const [build, runtime] = [replayed[0]!, replayed.at(-1)!];
    const npmCi = steps.find((step) => step.instruction.startsWith('RUN npm ci'))!;
    expect(npmCi.status).toBe(0);
    expect(spawnSync(join(image.binDir, 'npm'), ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(bundledNpm(image.version));
    expect(existsSync(join(build.root, 'src', 'node_modules', '.package-lock.json'))).toBe(true);
    expect(imageBundleCommand()).toContain('--format=esm');
    expect(statSync(join(runtime.root, 'app', 'cli.mjs')).mode & 0o777).toBe(0o444);
    // The compile cache was filled by the user the task runs as (Node keeps one per uid).
    const cacheDir = runtime.env['NODE_COMPILE_CACHE']!;
    expect(readdirSync(cacheDir).length).toBeGreaterThan(0);
    expect(statSync(cacheDir).uid).toBe(process.getuid?.() === 0 ? 1000 : process.getuid?.());

    // The image's ENTRYPOINT and CMD, as the task starts it without configuration: it stops on the
    // configuration (exit 2, naming CERT_BUCKET), not on an unknown command or a missing module.
    const [command, ...args] = [...runtime.entrypoint!, ...runtime.cmd!];
    expect(command).toBe('node');
    const started = spawnSync(image.node, [...args.map((arg) => (arg.startsWith('/') ? join(runtime.root, arg) : arg)), '--json'], {
      cwd: join(runtime.root, 'app'),
      encoding: 'utf8',
      env: { PATH: image.binDir, ...runtime.env },
    });
    expect(started.status, started.stdout + started.stderr).toBe(2);
    expect(started.stdout + started.stderr).toContain('CERT_BUCKET is not set');
    const help = spawnSync(image.node, [join(runtime.root, 'app', 'cli.mjs'), '--help'], { encoding: 'utf8', env: { PATH: image.binDir } });
    expect(help.stdout).toMatch(/^\s+renew\b/m);
  }, 600_000);

  it("the replay fails where docker build would: a lock the image's npm refuses stops at `RUN npm ci`", () => {
    const broken = mkdtempSync(join(tmpdir(), 'acme-lock-'));
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    delete lock.packages['node_modules/esbuild'];
    writeFileSync(join(broken, 'package-lock.json'), JSON.stringify(lock));
    let failure: unknown;
    try {
      replayDockerfile({ contextOverrides: { 'package-lock.json': join(broken, 'package-lock.json') } });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ReplayError);
    rmSync((failure as ReplayError).dir, { recursive: true, force: true });
    expect((failure as ReplayError).step.instruction).toMatch(/^RUN npm ci\b/);
    expect((failure as ReplayError).message).toContain('Missing: esbuild@');
  }, 300_000);

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
