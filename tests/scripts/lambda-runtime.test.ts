// startLambdaFunction on its own, with the responder's deployed asset as the function: real
// emulator, real runtime interface client, real handler (events that need no S3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaFunctionError, startLambdaFunction, type LambdaFunction } from '../../scripts/local/lambda-runtime.js';
import { responderFunction, type ResponderFunction } from '../../scripts/local/responder-asset.js';
import { albEvent } from '../support/alb-events.js';

let fn: ResponderFunction;
let lambda: LambdaFunction;
const lines: string[] = [];

beforeAll(async () => {
  fn = await responderFunction();
  lambda = await startLambdaFunction({
    codeDir: fn.codeDir,
    handler: fn.handler,
    environment: { CERT_BUCKET: 'lambda-runtime-test', JWK_REFRESH_SECONDS: '300' },
    functionName: 'lambda-runtime-test',
    memorySizeMb: fn.memorySizeMb,
    timeoutSeconds: fn.timeoutSeconds,
    logFormat: 'JSON',
    maxEnvironments: 2,
    output: (line) => void lines.push(line),
  });
});
afterAll(async () => lambda?.stop());

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startLambdaFunction', () => {
  it('invokes the handler and resolves with its result; the invocation carries the request id given', async () => {
    const requestId = crypto.randomUUID();
    await expect(lambda.invoke(albEvent('GET', '/not-a-challenge'), { requestId })).resolves.toMatchObject({ statusCode: 404, body: 'Not Found\n' });
    expect(lines).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(lines.some((line) => line.startsWith(`REPORT RequestId: ${requestId}\t`) && line.includes('Memory Size: 256 MB'))).toBe(true);
  });

  it('rejects with LambdaFunctionError when the handler throws, and answers Unhandled with the error document through invokeRaw', async () => {
    // an event without a path, which ALB never sends: the handler throws
    const thrown = await lambda.invoke({}).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(LambdaFunctionError);
    expect((thrown as LambdaFunctionError).errorType).toBe('TypeError');
    const raw = await lambda.invokeRaw('{}');
    expect(raw.functionError).toBe('Unhandled');
    expect(JSON.parse(raw.payload)).toMatchObject({ errorType: 'TypeError', errorMessage: expect.any(String), trace: expect.any(Array) });
    // the environment survives a thrown error, as on Lambda
    await expect(lambda.invoke(albEvent('GET', '/still-there'))).resolves.toMatchObject({ statusCode: 404 });
  });

  it('serves concurrent invocations from at most maxEnvironments emulators', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => lambda.invoke(albEvent('GET', `/concurrent-${i}`))));
    expect(results).toEqual(Array.from({ length: 10 }, () => expect.objectContaining({ statusCode: 404 })));
    expect(lambda.environments().length).toBeGreaterThan(0);
    expect(lambda.environments().length).toBeLessThanOrEqual(2);
    for (const environment of lambda.environments()) expect(isAlive(environment.emulatorPid)).toBe(true);
  });

  it('refuses variables Lambda reserves', async () => {
    await expect(startLambdaFunction({ codeDir: fn.codeDir, handler: fn.handler, environment: { AWS_REGION: 'eu-west-1', TZ: 'Europe/Paris' } })).rejects.toThrow(/AWS_REGION, TZ, which Lambda reserves/);
  });

  it('stops every emulator, and refuses invocations after', async () => {
    const other = await startLambdaFunction({ codeDir: fn.codeDir, handler: fn.handler, environment: { CERT_BUCKET: 'x' }, output: () => undefined });
    await other.invoke(albEvent('GET', '/x'));
    const pids = other.environments().map((environment) => environment.emulatorPid);
    expect(pids).toHaveLength(1);
    await other.stop();
    expect(other.environments()).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    await expect(other.invoke(albEvent('GET', '/x'))).rejects.toThrow(/stopped/);
  });
});
