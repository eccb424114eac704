// The responder's code as a deploy ships it: the CDK asset of lib/constructs/challenge-responder.ts
// (its NodejsFunction entry and bundling options), from a minimal app holding that construct, not
// a second esbuild command that could drift from it; and the function's configuration from the
// same template (handler, runtime, memory, timeout, log format, variables). A synth costs seconds
// (loading aws-cdk-lib, bundling), so the result is kept under .local/cache/responder/<key>, the
// key a hash of every file the bundle or the construct can come from (lambdas/, lib/, the package
// and TypeScript settings, the lock that pins node_modules, this file).
// Usage: node --import tsx scripts/local/responder-asset.ts   prints the function as JSON (builds it when not cached)
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../lib/constructs/repo.js';
import { parseResponderReservedConcurrency } from '../../lib/core/deploy-config.js';

export interface ResponderFunction {
  /** The asset folder: what Lambda unpacks into /var/task. */
  readonly codeDir: string;
  /** The asset's hash, the S3 key (`<hash>.zip`) a deploy uploads it under. */
  readonly assetHash: string;
  readonly handler: string;
  readonly runtime: string;
  readonly architecture: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  readonly logFormat: 'Text' | 'JSON';
  /** ReservedConcurrentExecutions: the most environments Lambda runs at once; undefined when none is reserved. */
  readonly reservedConcurrency: number | undefined;
  /** Environment.Variables: the value where the template has a literal, null where it has a reference (the bucket's name). */
  readonly variables: Readonly<Record<string, string | null>>;
}

const CACHE_DIR = join(REPO_ROOT, '.local', 'cache', 'responder');
const KEEP_BUILDS = 5;
const INPUTS = ['lambdas', 'lib', 'package.json', 'package-lock.json', 'tsconfig.json', 'cdk.json', 'scripts/local/responder-asset.ts'];

/** The responder function, from the cache when its inputs are unchanged. */
export async function responderFunction(): Promise<ResponderFunction> {
  const key = inputsHash();
  const cached = join(CACHE_DIR, key);
  if (existsSync(join(cached, 'function.json'))) return JSON.parse(readFileSync(join(cached, 'function.json'), 'utf8')) as ResponderFunction;
  mkdirSync(CACHE_DIR, { recursive: true });
  const scratch = join(CACHE_DIR, `.build-${randomBytes(6).toString('hex')}`);
  try {
    const synthesized = await synthesize(join(scratch, 'cdk.out'));
    cpSync(synthesized.assetDir, join(scratch, 'code'), { recursive: true });
    rmSync(join(scratch, 'cdk.out'), { recursive: true, force: true });
    const fn: ResponderFunction = { ...synthesized.fn, codeDir: join(cached, 'code') };
    writeFileSync(join(scratch, 'function.json'), `${JSON.stringify(fn, null, 2)}\n`);
    try {
      renameSync(scratch, cached);
    } catch (error) {
      // another process built the same inputs first: theirs is as good
      if (!existsSync(join(cached, 'function.json'))) throw error;
    }
    prune(key);
    return fn;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Keeps the newest few builds (a checkout switching branches reuses them), not one per edit. */
function prune(keep: string): void {
  const builds = readdirSync(CACHE_DIR)
    .filter((entry) => entry !== keep && !entry.startsWith('.'))
    .map((entry) => ({ entry, at: statSync(join(CACHE_DIR, entry)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { entry } of builds.slice(KEEP_BUILDS - 1)) rmSync(join(CACHE_DIR, entry), { recursive: true, force: true });
}

function inputsHash(): string {
  const hash = createHash('sha256');
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
      return;
    }
    hash
      .update(`${relative(REPO_ROOT, path)}\0`)
      .update(readFileSync(path))
      .update('\0');
  };
  for (const input of INPUTS) visit(join(REPO_ROOT, input));
  // the one deploy setting the construct is given here (see synthesize)
  hash.update(`reserved=${parseResponderReservedConcurrency(process.env) ?? 'none'}`);
  return hash.digest('hex').slice(0, 32);
}

/** Synthesizes the construct alone (it needs a store; an existing listener spares it a VPC). */
async function synthesize(outdir: string): Promise<{ assetDir: string; fn: Omit<ResponderFunction, 'codeDir'> }> {
  const [{ App, Stack }, { CertificateStore }, { ChallengeResponder }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../../lib/constructs/certificate-store.js'),
    import('../../lib/constructs/challenge-responder.js'),
  ]);
  // cdk.json's feature flags, as `cdk synth` applies them; asset metadata names the asset folder
  const context = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const app = new App({ outdir, context: { ...context, 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'LocalResponder', { env: { account: '123456789012', region: 'us-east-1' } });
  const store = new CertificateStore(stack, 'Store');
  const responder = new ChallengeResponder(stack, 'Responder', {
    store,
    existingListener: { listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/local/0123456789abcdef/0123456789abcdef', priority: 1 },
    reservedConcurrency: parseResponderReservedConcurrency(process.env),
  });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Metadata?: Record<string, string>; Properties: Record<string, any> }> };
  const resource = template.Resources[stack.getLogicalId(responder.function.node.defaultChild as never)];
  const assetPath = resource?.Metadata?.['aws:asset:path'];
  if (resource === undefined || assetPath === undefined) throw new Error('the synthesized responder function has no asset folder');
  const properties = resource.Properties;
  const variables: Record<string, string | null> = {};
  for (const [name, value] of Object.entries((properties.Environment?.Variables ?? {}) as Record<string, unknown>)) {
    variables[name] = typeof value === 'string' ? value : null;
  }
  return {
    assetDir: join(outdir, assetPath),
    fn: {
      assetHash: String(properties.Code.S3Key).replace(/\.zip$/, ''),
      handler: properties.Handler,
      runtime: properties.Runtime,
      architecture: (properties.Architectures as string[] | undefined)?.[0] ?? 'x86_64',
      memorySizeMb: properties.MemorySize ?? 128,
      timeoutSeconds: properties.Timeout ?? 3,
      logFormat: properties.LoggingConfig?.LogFormat === 'JSON' ? 'JSON' : 'Text',
      reservedConcurrency: typeof properties.ReservedConcurrentExecutions === 'number' ? properties.ReservedConcurrentExecutions : undefined,
      variables,
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await responderFunction(), null, 2));
}
