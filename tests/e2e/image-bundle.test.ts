// The image runs the esbuild bundle on Node 22, and so does every e2e suite (tests/global-setup.ts
// builds it with container/Dockerfile's own command; tests/support/local-stack.ts runs it on the
// image's Node). This file runs one whole lifecycle with it: a bundling change (which build of a
// dependency gets picked, what is tree-shaken) that breaks the CLI at run time fails here, not at
// the first scheduled renewal on AWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyMatchesCertificate, parseCertificate } from '../../lib/core/index.js';
import { clientsFor } from '../support/aws.js';
import { eventOf, runCli, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'image-bundle' });
}, 120_000);
afterAll(async () => stack?.stop());

const runBundle = (args: readonly string[], env: Record<string, string> = {}) => runCli(stack, args, env);

describe('the image bundle (node cli.mjs)', () => {
  it('registers, issues into S3 and ACM, lists and renews like the sources do', async () => {
    expect((await runBundle(['register'])).code).toBe(0);
    const issued = await runBundle(['issue', '--name', 'bundled', '--domain', 'bundled.example.com', '--domain', 'www.bundled.example.com']);
    expect(issued.code, issued.stdout + issued.stderr).toBe(0);
    const result = eventOf(issued, 'issued');
    expect(result.names).toEqual(['bundled.example.com', 'www.bundled.example.com']);
    expect(String(result.acmArn)).toMatch(/^arn:aws:acm:/);

    const aws = clientsFor(stack);
    const cert = (await aws.read('live/bundled/cert.pem'))!;
    expect(parseCertificate(cert).serial).toBe(result.serial);
    expect(keyMatchesCertificate(cert, (await aws.read('live/bundled/privkey.pem'))!)).toBe(true);

    const list = await runBundle(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('"bundled"');
    // Forced renewal through the reconcile path re-imports into the same ARN.
    const renewed = await runBundle(['renew', 'bundled', '--force'], { CERTIFICATES: 'bundled=bundled.example.com,www.bundled.example.com' });
    expect(renewed.code, renewed.stdout + renewed.stderr).toBe(0);
    expect(renewed.stdout).toContain(String(result.acmArn));
  }, 120_000);
});
