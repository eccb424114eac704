// Progress is the one writer of a run's lines: steps, facts of their own kind, metrics, results.
// Read back from a real stream, in both output modes.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { metric } from '../../container/observability/metrics.js';
import { Progress } from '../../container/progress.js';

function collected(): { out: Writable; lines: () => string[] } {
  let text = '';
  const out = new Writable({
    write: (chunk, _encoding, done) => {
      text += String(chunk);
      done();
    },
  });
  return { out, lines: () => text.split('\n').filter((line) => line !== '') };
}

describe('Progress', () => {
  it('writes every kind of line of a run as JSON with one run id, a certificate view tagging its own', async () => {
    const { out, lines } = collected();
    const progress = new Progress(true, out);
    await progress.step('order', () => Promise.resolve('ok'));
    progress.log('WARN', 'preflight-warning', '  ! pre-flight: text only', { message: 'json only' });
    progress.forCertificate('shop').metric(metric.issuanceSucceeded('renew', 'shop'));
    progress.result('renew-summary', { failed: 0 });
    const parsed = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => line.event)).toEqual(['step', 'preflight-warning', 'metric', 'renew-summary']);
    expect(new Set(parsed.map((line) => line.runId))).toEqual(new Set([progress.runId]));
    expect(parsed[1]).toMatchObject({ level: 'WARN', message: 'json only' });
    expect(parsed[2]).toMatchObject({ level: 'INFO', certificate: 'shop', Operation: 'renew', certificateName: 'shop', IssuanceSucceeded: 1 });
    expect(parsed[2]!._aws).toBeUndefined();
  });

  it('on a terminal writes the text of a line as it is, and no metric', () => {
    const { out, lines } = collected();
    const progress = new Progress(false, out);
    progress.log('INFO', 'preflight', '  ✓ pre-flight a.example.com', { domain: 'a.example.com' });
    progress.metric(metric.healthCheckFailed('account'));
    expect(lines()).toEqual(['  ✓ pre-flight a.example.com']);
  });
});
