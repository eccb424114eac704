// The responder's request line, written by Powertools' Logger through the real middy middlewares
// around handlers that answer or throw: it must be exactly the object docs/operations.md "Logs"
// lists, in that order (the stack's metric filter reads `message` and `Outcome`).
// The oracle below is that object, written out apart from the middleware.
import middy from '@middy/core';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { albEvent, albMultiValueEvent } from '../support/alb-events.js';
import { capturedLines } from '../support/process-output.js';

// What Lambda sets in an on-demand environment: Powertools reports cold_start only there, and
// reads it when the logger is made, at import.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
// Asking Powertools to log every event must not: the event holds the token and every header uncut
// (each request below writes exactly one line).
process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
const { MAX_LOGGED_CHARS, REQUEST_LINE_MESSAGE, SERVICE_NAME, outcomeOf, requestLog } = await import('../../lambdas/challenge/observability.js');

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

/** The line as JSON text, its timestamp (Powertools' own clock) given. */
function oracle(c: Case, at: number, startedAt: number, cold: boolean, timestamp: unknown): string {
  // a status that is not an integer is answered 502 by ALB, and logged so
  const status = 'status' in c.answer && Number.isInteger(c.answer.status) ? c.answer.status : undefined;
  const error = 'error' in c.answer ? c.answer.error : undefined;
  const outcome = status === undefined ? 'error' : outcomeOf(status);
  const traceId = c.event.headers?.['x-amzn-trace-id'] ?? c.event.multiValueHeaders?.['x-amzn-trace-id']?.at(-1);
  const line = {
    level: outcome === 'error' || outcome === 'unavailable' ? 'ERROR' : 'INFO',
    message: REQUEST_LINE_MESSAGE,
    timestamp,
    service: SERVICE_NAME,
    cold_start: cold,
    function_request_id: c.awsRequestId,
    correlation_id: traceId === undefined ? c.awsRequestId : capped(traceId),
    method: capped(c.event.httpMethod),
    path: c.event.path.startsWith('/.well-known/acme-challenge/') ? '/.well-known/acme-challenge/{token}' : capped(c.event.path),
    status: status ?? 502,
    durationMs: at - startedAt,
    ...(error === undefined ? {} : { error: error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error) }),
    Outcome: outcome,
  };
  // Powertools leaves out empty values (undefined, null, '')
  return JSON.stringify(Object.fromEntries(Object.entries(line).filter(([, value]) => value !== undefined && value !== '')));
}

const lines: string[] = [];
let clock = 1_790_000_000_000;
const times: number[] = [];
const handler = middy<ALBEvent, ALBResult>((event: ALBEvent, context: Context): Promise<ALBResult> => {
  const answer = (context as unknown as { answer: Case['answer'] }).answer;
  if ('error' in answer) throw answer.error;
  return Promise.resolve({ statusCode: answer.status, body: event.path });
}).use(
  requestLog({
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
  const begun = Date.now();
  const written = await capturedLines(() => handler(c.event, { answer: c.answer, ...(c.awsRequestId === undefined ? {} : { awsRequestId: c.awsRequestId }) } as never).catch(() => undefined));
  expect(written).toHaveLength(1);
  lines.push(written[0]!);
  const [startedAt, at] = times.slice(before) as [number, number];
  const { timestamp } = JSON.parse(written[0]!) as { timestamp: string };
  // Powertools' timestamp: ISO 8601 in UTC (Lambda's TZ), of this request
  expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(begun);
  expect(Date.parse(timestamp)).toBeLessThanOrEqual(Date.now());
  expect(written[0]).toBe(oracle(c, at, startedAt, cold, timestamp));
}

// past MAX_LOGGED_CHARS often enough that the cut is part of the property
const text = fc.string({ unit: 'binary', maxLength: 400 });
const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  event: fc.oneof(
    fc
      .tuple(
        fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'x"\\\u0000', 'M'.repeat(300)),
        fc.oneof(
          text,
          text.map((t) => `/.well-known/acme-challenge/${t}`),
        ),
        fc.option(text, { nil: undefined }),
      )
      .map(([method, path, trace]) => albEvent(method, path, { headers: trace === undefined ? { host: 'a' } : { 'x-amzn-trace-id': trace } })),
    fc.tuple(fc.constantFrom('GET', 'HEAD'), text).map(([method, path]) => albMultiValueEvent(method, path)),
  ),
  awsRequestId: fc.option(fc.oneof(fc.uuid(), text), { nil: undefined }),
  answer: fc.oneof(
    fc.constantFrom(200, 404, 405, 503, 302, 500, 200.5).map((status) => ({ status })),
    fc
      .oneof(
        text.map((m) => new Error(m)),
        text.map((m) => new TypeError(m)),
        text,
        fc.constant(undefined as unknown),
        fc.integer(),
      )
      .map((error) => ({ error })),
  ),
});

describe('responder request line', () => {
  it('is the documented object, cold start first', async () => {
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

  it('stays the documented object for any path, method, trace id, request id and error', async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary, check), { numRuns: 2000 });
  });
});
