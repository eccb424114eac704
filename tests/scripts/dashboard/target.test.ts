// Which API `just dashboard` talks to and the region it signs for; a wrong argument is a usage
// error naming what to pass. (--aws against a real stack is not reachable here: the outputs are
// read with CloudFormation's DescribeStacks, as `just deploy` prints them.)
import { describe, expect, it } from 'vitest';
import { cachedCredentials } from '../../../scripts/dashboard/signed-api.js';
import { regionOf, resolveTarget, UsageError } from '../../../scripts/dashboard/target.js';

describe('resolveTarget', () => {
  it('is the local API on API_PORT by default, signed for AWS_REGION', async () => {
    expect(await resolveTarget([], { API_PORT: '5004', AWS_REGION: 'us-east-1' })).toEqual({ apiUrl: 'http://127.0.0.1:5004', region: 'us-east-1' });
  });

  it("takes a function URL's region from its host name, whatever AWS_REGION says", async () => {
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
    expect(await resolveTarget(['--api-url', url], { AWS_REGION: 'us-east-1' })).toEqual({ apiUrl: url.slice(0, -1), region: 'eu-west-1' });
    expect(regionOf('https://api.example.com', { AWS_REGION: 'ap-south-1' })).toBe('ap-south-1');
  });

  it.each([
    [['--api-url'], /--api-url takes the API's http\(s\) URL/],
    [['--api-url', 'ftp://x'], /--api-url takes/],
    [['--aws', '--api-url', 'https://x.example'], /not both/],
    [['--port', '1'], /unknown argument --port/],
  ])('refuses %j by name', async (argv, message) => {
    await expect(resolveTarget(argv, { API_PORT: '5004', AWS_REGION: 'us-east-1' })).rejects.toThrow(message);
    await expect(resolveTarget(argv, { API_PORT: '5004', AWS_REGION: 'us-east-1' })).rejects.toBeInstanceOf(UsageError);
  });

  it('says to run through just when API_PORT is missing, and names the region it lacks', async () => {
    await expect(resolveTarget([], { AWS_REGION: 'us-east-1' })).rejects.toThrow(/API_PORT .* run through just/);
    await expect(resolveTarget(['--api-url', 'https://api.example.com'], {})).rejects.toThrow(/set AWS_REGION/);
  });
});

describe('cachedCredentials', () => {
  it('asks the chain once while the credentials are fresh, again when they near expiry', async () => {
    let asked = 0;
    const expiration = new Date(Date.now() + 3_600_000);
    const provider = cachedCredentials(() => {
      asked++;
      return Promise.resolve({ accessKeyId: `AKIA${asked}`, secretAccessKey: 's', expiration });
    });
    expect((await provider()).accessKeyId).toBe('AKIA1');
    expect((await provider()).accessKeyId).toBe('AKIA1');
    expect(asked).toBe(1);
    // A set within 5 minutes of its expiry is fetched again.
    const soon = cachedCredentials(() => Promise.resolve({ accessKeyId: `AKIA${++asked}`, secretAccessKey: 's', expiration: new Date(Date.now() + 60_000) }));
    await soon();
    await soon();
    expect(asked).toBe(3);
  });
});
