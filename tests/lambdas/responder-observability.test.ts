// The responder's structured log lines (the stack counts them as a metric by Outcome), read from the
// function's log (the Lambda runtime emulator's output: what CloudWatch Logs receives) after real
// HTTP requests through the local ALB adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken } from '../support/alb-events.js';
import { runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'respobs' });
});
afterAll(async () => stack?.stop());

function requestLines(): Record<string, unknown>[] {
  return stack
    .responderLog()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'challenge request');
}

/** The function's output reaches the log file a moment after its answer, as Lambda ships logs
 * asynchronously: wait (briefly) for the lines of requests already answered. */
async function requestLinesWith(correlationIds: readonly string[]): Promise<Record<string, unknown>[]> {
  for (let attempt = 0; ; attempt++) {
    const lines = requestLines();
    const seen = new Set(lines.map((line) => line.correlation_id));
    if (correlationIds.every((id) => seen.has(id)) || attempt === 50) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function get(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${stack.httpPort}${path}`, init);
  await response.text();
  return response.status;
}

describe('responder logs and metrics', () => {
  it('logs one line per request with its outcome (the ResponderRequests metric filter counts them), and the trace id as correlation id', async () => {
    expect(await get(`/.well-known/acme-challenge/${randomToken()}`, { headers: { 'x-amzn-trace-id': 'Root=1-00000000-unavailable' } })).toBe(503);
    expect((await runCli(stack, ['register'])).code).toBe(0);
    const token = randomToken();
    expect(await get(`/.well-known/acme-challenge/${token}`, { headers: { 'x-amzn-trace-id': 'Root=1-00000000-answered' } })).toBe(200);
    expect(await get('/wp-login.php', { headers: { 'x-amzn-trace-id': 'Root=1-00000000-notfound' } })).toBe(404);
    expect(await get(`/.well-known/acme-challenge/${randomToken()}`, { method: 'POST', body: 'x', headers: { 'x-amzn-trace-id': 'Root=1-00000000-post' } })).toBe(405);

    const expected: [string, string, number, string][] = [
      ['Root=1-00000000-unavailable', 'unavailable', 503, 'ERROR'],
      ['Root=1-00000000-answered', 'answered', 200, 'INFO'],
      ['Root=1-00000000-notfound', 'not-found', 404, 'INFO'],
      ['Root=1-00000000-post', 'method-not-allowed', 405, 'INFO'],
    ];
    const byTrace = new Map((await requestLinesWith(expected.map(([trace]) => trace))).map((line) => [line.correlation_id, line]));
    for (const [trace, outcome, status, level] of expected) {
      expect(byTrace.get(trace), trace).toMatchObject({
        level,
        service: 'acme-challenge-responder',
        status,
        Outcome: outcome,
      });
      // the metric comes from the stack's filter: an EMF block as well would count every request twice
      expect(byTrace.get(trace)!._aws).toBeUndefined();
      expect(typeof byTrace.get(trace)!.timestamp).toBe('string');
    }
    // The token is not logged; other paths are, as they came.
    expect(stack.responderLog()).not.toContain(token);
    expect(byTrace.get('Root=1-00000000-notfound')!.path).toBe('/wp-login.php');
  });

  it('copies at most 256 characters of a header or path into the line, the cut marked, through the real handler', async () => {
    const trace = `Root=1-00000000-long-${'t'.repeat(8000)}`;
    const path = `/${'p'.repeat(6000)}`;
    expect(await get(path, { headers: { 'x-amzn-trace-id': trace } })).toBe(404);
    const cut = `${trace.slice(0, 256)}...[truncated, ${trace.length} chars]`;
    const line = (await requestLinesWith([cut])).find((l) => l.correlation_id === cut);
    expect(line).toMatchObject({ path: `${path.slice(0, 256)}...[truncated, ${path.length} chars]`, Outcome: 'not-found' });
    expect(stack.responderLog()).not.toContain('t'.repeat(300));
    expect(stack.responderLog()).not.toContain('p'.repeat(300));
  });

  it('logs why it answered 503 in the same shape', () => {
    const lines = stack
      .responderLog()
      .split('\n')
      .filter((line) => line.includes('account public JWK unavailable'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'ERROR', service: 'acme-challenge-responder', code: 'ERR_STORAGE_UNAVAILABLE', timestamp: expect.any(String) });
  });
});
