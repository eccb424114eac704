// Starts each test run with an empty reliability report and prints it at the end; builds the
// image's CLI bundle once, with container/Dockerfile's own command, for every suite that runs the
// CLI as the image does (on the image's Node, tests/support/local-stack.ts).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildImageBundle } from '../scripts/image-bundle.js';
import { printReliabilityReport } from '../scripts/reliability-report.js';
import { reportFile } from './support/report.js';
import { CLI_BUNDLE, IMAGE_NODE, LAMBDA_NODE } from './support/runtimes.js';

export function setup(): void {
  rmSync(reportFile, { force: true });
  for (const node of [IMAGE_NODE, LAMBDA_NODE]) {
    if (!existsSync(node)) throw new Error(`${node} is missing: run \`just install\` (scripts/local/runtimes.mjs installs the Node versions production runs)`);
  }
  mkdirSync(dirname(CLI_BUNDLE), { recursive: true });
  buildImageBundle(CLI_BUNDLE);
}

export function teardown(): void {
  printReliabilityReport(reportFile);
}
