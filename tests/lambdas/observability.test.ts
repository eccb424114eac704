// The responder's request line is assembled from JSON text for speed; it must stay byte for byte
// what JSON.stringify of the whole object gives (the shape Powertools readers and the stack's
// metric filter expect).
// The oracle below is that object, written out as the middleware used to build it; the line is
// made by the real middy middleware around handlers that answer or throw.
import middy from '@middy/core';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LOGGED_CHARS, REQUEST_LINE_MESSAGE, SERVICE_NAME, outcomeOf, requestLog } from '../../lambdas/challenge/observability.js';
import { albEvent, albMultiValueEvent } from '../support/alb-events.js';

interface Case {
  readonly event: ALBEvent;
  readonly awsRequestId: string | undefined;
  /** The status the handler answers, or the error it throws. */
  readonly answer: { status: number } | { error: unknown };
}

/** Written out apart from the middleware's loggedValue, so a change to either shows here. */
function capped(value: string): string {
  return value.length > MAX_LOGGED_CHARS ? `${value.slice(0, MAX_LOGGED_CHARS)}...[truncated, ${value.length} chars]` : value;
}

function oracle(c: Case, at: number, startedAt: number, cold: boolean): string {
  // a status that is not an integer is answered 502 by ALB, and logged so
  const status = 'status' in c.answer && Number.isInteger(c.answer.status) ? c.answer.status : undefined;
  const error = 'error' in c.answer ? c.answer.error : undefined;
  const outcome = status === undefined ? 'error' : outcomeOf(status);
  const traceId = c.event.headers?.['x-amzn-trace-id'] ?? c.event.multiValueHeaders?.['x-amzn-trace-id']?.at(-1);
  return JSON.stringify({
    level: outcome === 'error' || outcome === 'unavailable' ? 'ERROR' : 'INFO',
    message: REQUEST_LINE_MESSAGE,
    timestamp: new Date(at).toISOString(),
    service: SERVICE_NAME,
    cold_start: cold,
    function_request_id: c.awsRequestId,
    correlation_id: traceId === undefined ? c.awsRequestId : capped(traceId),
    method: capped(c.event.httpMethod),
    path: c.event.path.startsWith('/.well-known/acme-challenge/') ? '/.well-known/acme-challenge/{token}' : capped(c.event.path),
    status: status ?? 502,
    durationMs: at - startedAt,
    ...(error === undefined ? {} : { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
    Outcome: outcome,
  });
}

const lines: string[] = [];
let clock = 1_790_000_000_000;
const times: number[] = [];
const handler = middy<ALBEvent, ALBResult>(async (event: ALBEvent, context: Context): Promise<ALBResult> => {
  const answer = (context as unknown as { answer: Case['answer'] }).answer;
  if ('error' in answer) throw answer.error;
  return { statusCode: answer.status, body: event.path };
}).use(
  requestLog({
    write: (line) => lines.push(line),
    // a clock that sometimes stays on the same millisecond, sometimes jumps
    now: () => {
      clock += times.length % 3 === 0 ? 0 : times.length % 5;
      times.push(clock);
      return clock;
    },
  }),
);

async function check(c: Case): Promise<void> {
  const cold = lines.length === 0;
  const before = times.length;
  await handler(c.event, { answer: c.answer, ...(c.awsRequestId === undefined ? {} : { awsRequestId: c.awsRequestId }) } as never).catch(() => undefined);
  const [startedAt, at] = times.slice(before) as [number, number];
  expect(lines.at(-1)).toBe(oracle(c, at, startedAt, cold));
}

// past MAX_LOGGED_CHARS often enough that the cut is part of the property
const text = fc.string({ unit: 'binary', maxLength: 400 });
const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  event: fc.oneof(
    fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'x"\\\u0000', 'M'.repeat(300)), fc.oneof(text, text.map((t) => `/.well-known/acme-challenge/${t}`)), fc.option(text, { nil: undefined }))
      .map(([method, path, trace]) => albEvent(method, path, { headers: trace === undefined ? { host: 'a' } : { 'x-amzn-trace-id': trace } })),
    fc.tuple(fc.constantFrom('GET', 'HEAD'), text).map(([method, path]) => albMultiValueEvent(method, path)),
  ),
  awsRequestId: fc.option(fc.oneof(fc.uuid(), text), { nil: undefined }),
  answer: fc.oneof(
    fc.constantFrom(200, 404, 405, 503, 302, 500, 200.5).map((status) => ({ status })),
    fc.oneof(text.map((m) => new Error(m)), text.map((m) => new TypeError(m)), text, fc.constant(undefined as unknown), fc.integer()).map((error) => ({ error })),
  ),
});

describe('responder request line', () => {
  it('is byte for byte JSON.stringify of the documented object, cold start first', async () => {
    await check({ event: albEvent('GET', '/.well-known/acme-challenge/abc'), awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', answer: { status: 200 } });
    expect(JSON.parse(lines[0]!)).toMatchObject({ cold_start: true, level: 'INFO', Outcome: 'answered', path: '/.well-known/acme-challenge/{token}' });
    await check({ event: albEvent('GET', '/wp-login.php'), awsRequestId: undefined, answer: { status: 404 } });
    expect(JSON.parse(lines[1]!)).toMatchObject({ cold_start: false, Outcome: 'not-found', path: '/wp-login.php' });
    await check({ event: albEvent('GET', '/x'), awsRequestId: undefined, answer: { error: new Error('boom "quoted"\n') } });
    expect(JSON.parse(lines[2]!)).toMatchObject({ level: 'ERROR', status: 502, Outcome: 'error', error: 'Error: boom "quoted"\n' });
  });

  it('copies at most MAX_LOGGED_CHARS of any request value, and marks the cut with the full length', async () => {
    const trace = `Root=1-${'t'.repeat(10_000)}`;
    await check({ event: albEvent('PROPFIND'.repeat(100), `/${'p'.repeat(5000)}`, { headers: { 'x-amzn-trace-id': trace } }), awsRequestId: 'r-1', answer: { status: 404 } });
    const line = JSON.parse(lines.at(-1)!) as Record<string, string>;
    expect(line.correlation_id).toBe(`${trace.slice(0, 256)}...[truncated, ${trace.length} chars]`);
    expect(line.method).toBe(`${'PROPFIND'.repeat(100).slice(0, 256)}...[truncated, 800 chars]`);
    expect(line.path).toBe(`/${'p'.repeat(255)}...[truncated, 5001 chars]`);
    expect(lines.at(-1)!.length).toBeLessThan(1200);
  });

  it('stays byte for byte JSON.stringify for any path, method, trace id, request id and error', async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary, check), { numRuns: 2000 });
  });
});
