// Starts each test run with an empty reliability report and prints it at the end; builds the
// image's CLI bundle once, with container/Dockerfile's own command, for every suite that runs the
// CLI as the image does (on the image's Node, tests/support/local-stack.ts).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildImageBundle } from '../scripts/image-bundle.js';
import { printReliabilityReport } from '../scripts/reliability-report.js';
import { reportFile } from './support/report.js';
import { runtimePaths } from '../scripts/local/runtimes.mjs';
import { CLI_BUNDLE } from './support/runtimes.js';

export function setup(): void {
  rmSync(reportFile, { force: true });
  // Each stack's up.sh would build what is missing, every test file at once: fail once, clearly.
  const { image, lambda, emulator, ric } = runtimePaths();
  for (const path of [image.node, lambda.node, emulator.bin, ric.entry]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`just install\` (scripts/local/runtimes.mjs installs the runtimes production runs)`);
  }
  mkdirSync(dirname(CLI_BUNDLE), { recursive: true });
  buildImageBundle(CLI_BUNDLE);
}

export function teardown(): void {
  printReliabilityReport(reportFile);
}
