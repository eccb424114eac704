// A private moto_server for one `just deploy-local` run: its own process group on a free (or the
// configured) port, checked to be empty before anything is deployed into it. moto 5.2 cannot
// update or delete a stack that `cdk deploy` created, so every run needs a fresh one.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { listenablePort } from '../local/free-port.js';

export interface MotoServer {
  readonly port: number;
  /**
   * What every client is pointed at. `localhost`, not 127.0.0.1: CloudFormation in moto parses the
   * TemplateURL the CLI sends, and with an IP for a host it takes the host for the bucket's name.
   */
  readonly endpoint: string;
  readonly pid: number;
  /** Stops the server (its whole process group: moto_server may be a shim that forks python). */
  stop(): Promise<void>;
  /** Leaves it running after this process exits (DEPLOY_LOCAL_KEEP_MOTO). */
  detach(): void;
}

export interface StartMotoOptions {
  /** A port to use; undefined picks a free one. */
  readonly port: number | undefined;
  /** moto's own output goes here. */
  readonly logFile: string;
  /** moto_server's environment. */
  readonly env: Record<string, string>;
}

const START_TIMEOUT_MS = 30_000;

export async function startMoto(options: StartMotoOptions): Promise<MotoServer> {
  const port = await listenablePort(options.port ?? 0);
  if (port === undefined) {
    throw new Error(`port ${options.port} is in use: set DEPLOY_LOCAL_MOTO_PORT to a free port, or leave it empty to take any free one`);
  }
  const log = openSync(options.logFile, 'w');
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', log, log], env: options.env });
  closeSync(log);
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`moto_server could not be started (just install puts it on PATH): ${error.message}`))));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `moto_server exited (${signal ?? `code ${code}`}) before it answered; ${tail(options.logFile)}`));
  const endpoint = `http://localhost:${port}`;
  const pid = child.pid;
  const server: MotoServer = {
    port,
    endpoint,
    pid: pid ?? -1,
    stop: () => stopGroup(child.pid, () => child.exitCode !== null || child.signalCode !== null),
    detach: () => child.unref(),
  };
  try {
    await Promise.race([spawnFailed, waitUntilEmpty(port, () => exited)]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Polls moto's S3 until it answers and checks that it holds no bucket: a port that another
 * process took between our check and moto's start would answer with something else.
 */
async function waitUntilEmpty(port: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const failure = exited();
    if (failure !== undefined) throw new Error(failure);
    let text: string | undefined;
    try {
      text = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    } catch {
      // not listening yet
    }
    if (text !== undefined) {
      if (!text.includes('<ListAllMyBucketsResult')) throw new Error(`something other than moto answers on port ${port}: ${text.slice(0, 200)}`);
      if (text.includes('<Bucket>')) throw new Error(`the moto on port ${port} already holds buckets: a deploy needs a fresh one`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM to the group, then SIGKILL after 5 s. */
export async function stopGroup(pid: number | undefined, gone: () => boolean = () => !alive(pid)): Promise<void> {
  if (pid === undefined) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (!gone() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  // the shim may be gone while python still holds the port
  signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `pid` is a moto_server (a kept one from an earlier run, found through its pid file). */
export function isMotoServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('moto_server');
  } catch {
    return false;
  }
}

function tail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(-10);
    return `last lines of ${file}:\n${lines.join('\n')}`;
  } catch {
    return `no log at ${file}`;
  }
}
