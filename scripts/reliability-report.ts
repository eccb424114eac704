// Prints the reliability report the tests wrote (.local/reliability/report.jsonl): inputs tried,
// faults injected and survived, objects lost. Exits 1 if anything was lost or did not survive.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface Line {
  suite: string;
  kind: 'input' | 'fault';
  class: string;
  tried: number;
  survived: number;
  objectsLost: number;
}

export function printReliabilityReport(file = resolve(process.env.LOCAL_STATE_DIR ?? '.local', 'reliability', 'report.jsonl')): number {
  if (!existsSync(file)) {
    console.log(`no reliability report at ${file}: run the tests first (just reliability)`);
    return 1;
  }
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  const rows = lines.map((l) => [l.kind, l.suite, l.class, String(l.tried), String(l.survived), String(l.objectsLost)]);
  const header = ['kind', 'suite', 'class', 'tried', 'survived', 'lost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log('\nreliability report');
  console.log(fmt(header));
  for (const row of rows) console.log(fmt(row));
  const sum = (kind: string, key: 'tried' | 'survived' | 'objectsLost') => lines.filter((l) => l.kind === kind).reduce((n, l) => n + l[key], 0);
  const lost = lines.reduce((n, l) => n + l.objectsLost, 0);
  const failed = lines.reduce((n, l) => n + (l.tried - l.survived), 0);
  console.log(`inputs tried ${sum('input', 'tried')}, handled ${sum('input', 'survived')}; faults injected ${sum('fault', 'tried')}, survived ${sum('fault', 'survived')}; objects lost ${lost}`);
  return lost === 0 && failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) process.exitCode = printReliabilityReport();
