// Replays container/Dockerfile without a Docker engine (there is none on these machines, and the
// image is built only at `cdk deploy`): each stage gets a folder standing in for its filesystem,
// its COPY lines copy from the build context (or an earlier stage), its RUN lines run in order with
// the base image's own Node and npm first on PATH, its ENV and WORKDIR apply, and after `USER` the
// RUN lines run as that user's uid. What this cannot reproduce: the base image's own files (Debian
// or Alpine userland; Node here is the glibc build of the same version) and the layer cache.
// A lock file that the image's npm refuses, or a COPY that misses a file the build needs, fails here
// as it would fail `docker build` (stand-ins such as a symlinked node_modules hid exactly that).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { IMAGE_EXCLUDE } from '../lib/constructs/issuer-task.js';
import { dockerfileStages, repoRoot } from './image-bundle.js';
import { runtimePaths } from './local/runtimes.mjs';

/**
 * What `docker build` takes from the machine it runs on: how to reach the registry (a proxy, the
 * roots of a TLS-intercepting one). Nothing else of this machine's environment reaches a RUN line.
 */
const NETWORK_VARIABLES = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|no_proxy|npm_config_(registry|cafile|proxy|https_proxy|noproxy|strict_ssl))$/i;

/** The uid of the `node` user in the official Node images. */
const IMAGE_USERS: Record<string, number> = { node: 1000, root: 0 };
/** Absolute paths of the image's own system, left as they are in RUN lines. */
const SYSTEM_DIRS = ['usr', 'bin', 'sbin', 'lib', 'etc', 'dev', 'proc', 'sys', 'tmp', 'var'];

export interface ReplayedStage {
  readonly name: string;
  readonly from: string;
  /** The folder standing in for the stage's filesystem root. */
  readonly root: string;
  readonly env: Record<string, string>;
  readonly user: string;
  readonly workdir: string;
  readonly entrypoint: readonly string[] | undefined;
  readonly cmd: readonly string[] | undefined;
}

export interface ReplayStep {
  readonly stage: string;
  readonly instruction: string;
  readonly status: number;
  readonly output: string;
  readonly ms: number;
}

export class ReplayError extends Error {
  constructor(
    readonly step: ReplayStep,
    /** The replay's folder, kept for a look at what the failing step saw. */
    readonly dir: string,
  ) {
    super(`container/Dockerfile, stage ${step.stage}: \`${step.instruction}\` exited ${step.status} (its files: ${dir}):\n${step.output.split('\n').slice(-25).join('\n')}`);
  }
}

/** Copies a build-context path as `docker build` would see it: without what .dockerignore leaves out. */
function copyFromContext(source: string, target: string, overrides: Record<string, string>): void {
  const excluded = (path: string) => {
    const name = basename(path);
    return (IMAGE_EXCLUDE as readonly string[]).includes(name) || name.endsWith('.log');
  };
  cpSync(overrides[source] ?? join(repoRoot, source), target, { recursive: true, filter: (path) => !excluded(path) });
}

function parseJsonArray(text: string): string[] | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** A RUN line with the container's absolute paths moved under the stage's folder. */
function mapPaths(command: string, root: string): string {
  return command.replace(/(^|[\s="'])\/([A-Za-z0-9_.-]+)/g, (match, before: string, first: string) => (SYSTEM_DIRS.includes(first) ? match : `${before}${root}/${first}`));
}

/** The home of an image user inside a stage's folder, made on first use. */
function home(root: string, user: string): string {
  const dir = join(root, user === 'root' || user === '0' ? 'root' : join('home', user));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Makes a stage's folders readable by another uid (what the image's root-owned files are). */
function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) openUp(path);
  }
}

export interface ReplayOptions {
  /** Called after each RUN line. */
  readonly onStep?: (step: ReplayStep) => void;
  /** Build-context paths to take from elsewhere (a test's broken lock file, say). */
  readonly contextOverrides?: Record<string, string>;
}

export function replayDockerfile(options: ReplayOptions = {}): { dir: string; stages: ReplayedStage[]; steps: ReplayStep[] } {
  const overrides = options.contextOverrides ?? {};
  const runtime = runtimePaths().image;
  if (!existsSync(runtime.node)) throw new Error(`${runtime.node} is missing: run \`just install\` (the image's Node ${runtime.version} and npm ${runtime.npm})`);
  const base = mkdtempSync(join(tmpdir(), 'acme-image-replay-'));
  chmodSync(base, 0o755);
  const stages: ReplayedStage[] = [];
  const steps: ReplayStep[] = [];
  const asRoot = process.getuid?.() === 0;

  for (const [index, instructions] of dockerfileStages().entries()) {
    const [from, ...rest] = instructions;
    const name = /\bAS\s+(\S+)/i.exec(from!)?.[1] ?? String(index);
    const root = join(base, name);
    mkdirSync(root, { recursive: true });
    const stage = {
      name,
      from: from!.replace(/^FROM\s+/i, ''),
      root,
      env: {} as Record<string, string>,
      user: 'root',
      workdir: '/',
      entrypoint: undefined as string[] | undefined,
      cmd: undefined as string[] | undefined,
    };
    const at = (path: string) => join(root, path.startsWith('/') ? path : join(stage.workdir, path));

    for (const instruction of rest) {
      const [keyword, ...words] = instruction.split(/\s+/);
      const argument = instruction.slice(keyword!.length).trim();
      const begun = performance.now();
      switch (keyword!.toUpperCase()) {
        case 'WORKDIR':
          stage.workdir = argument;
          mkdirSync(at(argument), { recursive: true });
          break;
        case 'ENV': {
          const [key, ...value] = argument.split('=');
          stage.env[key!] = mapPaths(value.join('='), root);
          break;
        }
        case 'USER':
          stage.user = argument;
          break;
        case 'ENTRYPOINT':
          stage.entrypoint = parseJsonArray(argument);
          break;
        case 'CMD':
          stage.cmd = parseJsonArray(argument);
          break;
        case 'COPY': {
          const flags = words.filter((word) => word.startsWith('--'));
          const paths = words.filter((word) => !word.startsWith('--'));
          const destination = paths.pop()!;
          const fromStage = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
          for (const source of paths) {
            const target = destination.endsWith('/') ? at(join(destination, paths.length > 1 || fromStage !== undefined ? basename(source) : source === './' ? '' : source)) : at(destination);
            if (fromStage !== undefined) {
              const sourceStage = stages.find((s) => s.name === fromStage);
              if (sourceStage === undefined) throw new Error(`COPY --from=${fromStage}: no such stage`);
              mkdirSync(join(target, '..'), { recursive: true });
              cpSync(join(sourceStage.root, source), target, { recursive: true });
            } else if (destination === './' && paths.length > 1) {
              copyFromContext(source, at(basename(source)), overrides);
            } else {
              copyFromContext(source, target, overrides);
            }
            const chmod = flags.find((flag) => flag.startsWith('--chmod='))?.slice('--chmod='.length);
            if (chmod !== undefined) chmodSync(target, Number.parseInt(chmod, 8));
          }
          break;
        }
        case 'RUN': {
          const uid = IMAGE_USERS[stage.user] ?? Number(stage.user);
          const command = mapPaths(argument, root).replace(/\binstall -d -o (\S+) -g (\S+)/, (_match, owner: string, group: string) =>
            asRoot ? `install -d -o ${IMAGE_USERS[owner] ?? owner} -g ${IMAGE_USERS[group] ?? group}` : 'install -d',
          );
          if (asRoot && uid !== 0) openUp(root);
          const argv = asRoot && uid !== 0 ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'bash', '-c', command] : ['bash', '-c', command];
          const result = spawnSync(argv[0]!, argv.slice(1), {
            cwd: at(stage.workdir),
            encoding: 'utf8',
            env: {
              ...Object.fromEntries(Object.entries(process.env).filter(([key]) => NETWORK_VARIABLES.test(key))),
              // The base image's Node and npm, and nothing of this machine's but the basics.
              PATH: `${runtime.binDir}:/usr/local/bin:/usr/bin:/bin`,
              // The image user's own home (no ~/.npmrc of this machine's), and this machine's npm
              // cache, which only saves downloads: npm checks every tarball against the lock.
              HOME: home(root, stage.user),
              npm_config_cache: join(process.env['HOME'] ?? base, '.npm'),
              npm_config_update_notifier: 'false',
              ...stage.env,
            },
            timeout: 600_000,
          });
          const step = {
            stage: name,
            instruction,
            status: result.status ?? -1,
            output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
            ms: Math.round(performance.now() - begun),
          };
          steps.push(step);
          options.onStep?.(step);
          if (step.status !== 0) throw new ReplayError(step, base);
          break;
        }
        default:
          throw new Error(`container/Dockerfile: the replay does not know ${keyword} (${instruction})`);
      }
    }
    stages.push(stage);
  }
  // Docker's layers are owned by their USER; leave the replay removable by whoever runs it.
  if (asRoot) chownSync(base, 0, 0);
  return { dir: base, stages, steps };
}

// `just image-replay`: the same replay by hand, a line per RUN step.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { stages } = replayDockerfile({ onStep: (step) => console.log(`ok   ${step.stage}: ${step.instruction.slice(0, 100)} (${step.ms} ms)`) });
    console.log(`replayed ${stages.length} stages of container/Dockerfile into ${join(stages[0]!.root, '..')}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
