// The code and settings the local runtime runs are the deploy's: the asset and configuration of the
// responder function in the synthesized stack, not a second build that could drift from it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { responderFunction } from '../../scripts/local/responder-asset.js';
import { localEnvironments } from '../../scripts/local/responder-function.js';
import { logicalId, resourcesOfType, synthesize } from '../infra/synth.js';

describe('the responder asset', () => {
  it("is the asset and configuration of the stack's responder function", async () => {
    const fn = await responderFunction();
    const synth = synthesize({});
    const { json, outdir } = synth;
    // the stack's responder by its logical id: the API's function has the same handler name
    const responderId = logicalId(synth, synth.stack.responder.function);
    const functions = resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => id === responderId);
    expect(functions).toHaveLength(1);
    const [, deployed] = functions[0]!;
    expect(deployed.Properties.Handler).toBe(fn.handler);
    expect(deployed.Properties.Code.S3Key).toBe(`${fn.assetHash}.zip`);
    expect(deployed.Properties).toMatchObject({
      Runtime: fn.runtime,
      MemorySize: fn.memorySizeMb,
      Timeout: fn.timeoutSeconds,
      LoggingConfig: { LogFormat: fn.logFormat },
      Architectures: [fn.architecture],
      // the local runtime's ceiling is derived from it (scripts/local/responder-function.ts localEnvironments)
      ReservedConcurrentExecutions: fn.reservedConcurrency,
    });
    expect(Object.keys(deployed.Properties.Environment.Variables).sort()).toEqual(Object.keys(fn.variables).sort());
    // the very bytes the deploy uploads
    try {
      const staged = join(outdir, `asset.${fn.assetHash}`, 'index.mjs');
      expect(readFileSync(join(fn.codeDir, 'index.mjs')).equals(readFileSync(staged))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    expect(existsSync(join(fn.codeDir, '..', 'function.json'))).toBe(true);
  });
});

describe("the local responder's environments", () => {
  it("are RESPONDER_CONCURRENCY, never more than the deployed function's reserved concurrency", () => {
    expect(localEnvironments({ reservedConcurrency: 20 }, { RESPONDER_CONCURRENCY: '4' })).toBe(4);
    expect(localEnvironments({ reservedConcurrency: 2 }, { RESPONDER_CONCURRENCY: '4' })).toBe(2);
    expect(localEnvironments({ reservedConcurrency: undefined }, { RESPONDER_CONCURRENCY: '6' })).toBe(6);
    expect(localEnvironments({ reservedConcurrency: undefined }, {})).toBe(4);
  });
});
