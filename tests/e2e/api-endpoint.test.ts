// The local stack as `just up` brings it up serves the certificate API on API_PORT: curl
// --aws-sigv4 with the stack's admin keys (moto enforcing IAM) declares a certificate (202) and
// starts the issuer task in moto, which the local task runner runs until the certificate is
// active in S3 and ACM; an unsigned request is refused (403); `just down` stops it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

const run = promisify(execFile);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'api-endpoint' });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

const curl = async (args: string[]) => {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const lines = stdout.split('\n');
  return { status: lines.pop(), body: lines.join('\n') };
};

describe('the API on the local stack', () => {
  it('answers a signed POST /certificates with 202, the task it starts issues it (pending, issuing, active) into S3 and ACM; unsigned is 403', async () => {
    const url = `http://127.0.0.1:${stack.env.API_PORT}`;
    const sign = ['--aws-sigv4', `aws:amz:${stack.env.AWS_REGION}:lambda`, '--user', `${stack.env.AWS_ACCESS_KEY_ID}:${stack.env.AWS_SECRET_ACCESS_KEY}`];
    const body = JSON.stringify({ name: 'shop', domains: ['shop.example.com'] });
    const accepted = await curl([...sign, '-H', 'content-type: application/json', '--data', body, `${url}/certificates`]);
    expect(accepted.status, accepted.body).toBe('202');
    expect(JSON.parse(accepted.body)).toMatchObject({ name: 'shop', statusUrl: `${url}/certificates/shop/status` });
    expect(JSON.parse((await clientsFor(stack).read('declared/shop.json'))!)).toMatchObject({ name: 'shop', owner: expect.stringMatching(/^arn:aws:iam::\d{12}:user\/local-admin$/) });
    // Nobody runs the CLI: the task the API started runs through the local task runner.
    const seen: string[] = [];
    for (let i = 0; i < 360 && seen.at(-1) !== 'active'; i++) {
      const status = await curl([...sign, `${url}/certificates/shop/status`]);
      const state = (JSON.parse(status.body) as { state: string }).state;
      if (seen.at(-1) !== state) seen.push(state);
      expect(['pending', 'issuing', 'active'], `status ${status.body}`).toContain(state);
      if (state !== 'active') await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(seen[0]).toMatch(/^(pending|issuing)$/);
    expect(seen.at(-1)).toBe('active');
    const record = JSON.parse((await clientsFor(stack).read('renewal/shop.json'))!) as { serial: string; acm: { certificateArn: string; serial: string }[] };
    expect(await clientsFor(stack).read('live/shop/metadata.json')).toContain(record.serial);
    expect(record.acm[0]).toMatchObject({ serial: record.serial, certificateArn: expect.stringMatching(/^arn:aws:acm:/) });
    const unsigned = await curl(['-H', 'content-type: application/json', '--data', body.replace('shop', 'other'), `${url}/certificates`]);
    expect(unsigned.status).toBe('403');
    expect(await clientsFor(stack).read('declared/other.json')).toBeUndefined();
  }, 300_000);
});
