// Requests moto served, counted from its own request log (werkzeug writes one line per request):
// what a command cost in S3 requests, whatever client or SDK retry made them.
import { readFileSync } from 'node:fs';

/** Lines in moto's request log: all of them, and those on one bucket (path-style). */
export function motoRequests(logFile: string, bucket: string): { total: number; s3: number } {
  const lines = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /"(GET|PUT|POST|HEAD|DELETE) /.test(l));
  return { total: lines.length, s3: lines.filter((l) => l.includes(` /${bucket}`)).length };
}

/** The count once moto's log stops growing (it is written after each answer). */
export async function settledCount(logFile: string, bucket: string): Promise<{ total: number; s3: number }> {
  let last = motoRequests(logFile, bucket);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const now = motoRequests(logFile, bucket);
    if (now.total === last.total) return now;
    last = now;
  }
  return last;
}
