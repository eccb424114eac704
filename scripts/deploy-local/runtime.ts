// INTERIM, until scripts/local/lambda-runtime.ts (the lambda-runtime branch) is on main: then this
// file only adapts its startLambdaFunction. It installs nothing: it runs the emulator and the
// runtime interface client where that branch's installer (scripts/local/runtimes.mjs) puts them,
// .local/bin/aws-lambda-rie and .local/runtimes/aws-lambda-ric-*/node_modules/aws-lambda-ric,
// with the Lambda Node from runtimes.mjs, as AWS documents: aws-lambda-rie starts `node
// aws-lambda-ric/index.mjs <handler>` in the code's folder and takes invocations over HTTP.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/constructs/repo.js';
import { runtimePaths } from '../local/runtimes.mjs';
import { stopGroup } from './moto.js';
import type { StartFunction } from './responder-check.js';

const INVOKE_TIMEOUT_MS = 30_000;

function emulatorPaths(): { emulator: string; ricEntry: string; node: string } {
  const emulator = join(REPO_ROOT, '.local', 'bin', 'aws-lambda-rie');
  const runtimes = join(REPO_ROOT, '.local', 'runtimes');
  const ric = existsSync(runtimes) ? readdirSync(runtimes).filter((name) => name.startsWith('aws-lambda-ric-')).sort().at(-1) : undefined;
  const ricEntry = ric === undefined ? '' : join(runtimes, ric, 'node_modules', 'aws-lambda-ric', 'index.mjs');
  const missing = [...(existsSync(emulator) ? [] : [emulator]), ...(existsSync(ricEntry) ? [] : ['.local/runtimes/aws-lambda-ric-*/node_modules/aws-lambda-ric'])];
  if (missing.length > 0) throw new Error(`the Lambda runtime emulator is not installed (${missing.join(', ')} missing; just install puts them there)`);
  return { emulator, ricEntry, node: runtimePaths().lambda.node };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export const startResponderFunction: StartFunction = async ({ codeDir, handler, environment, logFile }) => {
  const paths = emulatorPaths();
  const [runtimeApi, invokeApi] = [await freePort(), await freePort()];
  const out = logFile === undefined ? 'ignore' : openSync(logFile, 'a');
  const child = spawn(
    paths.emulator,
    ['--runtime-api-address', `127.0.0.1:${runtimeApi}`, '--runtime-interface-emulator-address', `127.0.0.1:${invokeApi}`, paths.node, paths.ricEntry, handler],
    { cwd: codeDir, env: { PATH: process.env.PATH ?? '', LAMBDA_TASK_ROOT: codeDir, ...environment }, stdio: ['ignore', out, out], detached: true },
  );
  if (typeof out === 'number') closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${invokeApi}/2015-03-31/functions/function/invocations`;
  return {
    invoke: async (event) => {
      const deadline = Date.now() + INVOKE_TIMEOUT_MS;
      for (;;) {
        if (exited) throw new Error('aws-lambda-rie exited before it took the invocation');
        try {
          const response = await fetch(url, { method: 'POST', body: JSON.stringify(event) });
          return JSON.parse(await response.text()) as unknown;
        } catch (error) {
          // refused until the emulator listens
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    stop: () => stopGroup(child.pid, () => exited),
  };
};
