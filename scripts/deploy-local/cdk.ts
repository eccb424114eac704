// Runs the project's pinned CDK CLI (aws-cdk in devDependencies) as a process, as `just synth`
// and `just deploy` do. Its output goes to a log file; a failure throws with the log's last lines.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/constructs/repo.js';

const CDK_BIN = join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

export interface CdkRun {
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly logFile: string;
}

export async function runCdk(run: CdkRun): Promise<void> {
  const log = openSync(run.logFile, 'w');
  const child = spawn(process.execPath, [CDK_BIN, ...run.args], { cwd: REPO_ROOT, env: run.env, stdio: ['ignore', log, log] });
  closeSync(log);
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(signal ?? exitCode ?? -1));
  });
  if (code !== 0) {
    const lines = readFileSync(run.logFile, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
    throw new Error(`cdk ${run.args[0]} failed (${typeof code === 'number' ? `exit code ${code}` : code}); last lines of ${run.logFile}:\n${lines}`);
  }
}
