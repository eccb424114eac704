// Starts each test run with an empty reliability report and prints it at the end.
import { rmSync } from 'node:fs';
import { printReliabilityReport } from '../scripts/reliability-report.js';
import { reportFile } from './support/report.js';

export function setup(): void {
  rmSync(reportFile, { force: true });
}

export function teardown(): void {
  printReliabilityReport(reportFile);
}
