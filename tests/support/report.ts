// The reliability report: each reliability test appends what it tried and what survived;
// scripts/reliability-report.ts prints the totals (`just reliability`, and after `just test`).
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface ReliabilityLine {
  readonly suite: string;
  readonly kind: 'input' | 'fault';
  /** The class of input or fault, e.g. "S3 unreachable during the order", "path traversal". */
  readonly class: string;
  readonly tried: number;
  readonly survived: number;
  /** Certificates or keys lost or broken (must be zero). */
  readonly objectsLost: number;
}

export const reportFile = resolve(import.meta.dirname, '../..', process.env.LOCAL_STATE_DIR ?? '.local', 'reliability', 'report.jsonl');

export function recordReliability(line: ReliabilityLine): void {
  mkdirSync(join(reportFile, '..'), { recursive: true });
  appendFileSync(reportFile, `${JSON.stringify({ ...line, at: new Date().toISOString() })}\n`);
}
