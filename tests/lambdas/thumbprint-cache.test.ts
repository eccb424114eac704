// The responder's thumbprint cache on its own: real JWKs from jose, a clock the test moves, and a
// reader that counts how often account/jwk.json would be read.
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, parsePublicJwk } from '../../lib/core/index.js';
import { ThumbprintCache } from '../../lambdas/challenge/thumbprint-cache.js';

async function publicJwkText(): Promise<string> {
  const { publicKey } = await generateKeyPair('ES256');
  return JSON.stringify(await exportJWK(publicKey));
}

function cacheOver(texts: Array<string | Error>, refreshMs = 1000) {
  let clock = 1_000_000;
  const reads = { count: 0 };
  const cache = new ThumbprintCache({
    refreshMs,
    now: () => clock,
    readJwk: () => {
      const next = texts[Math.min(reads.count, texts.length - 1)]!;
      reads.count++;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  });
  return { cache, reads, advance: (ms: number) => void (clock += ms) };
}

describe('ThumbprintCache', () => {
  it('answers fresh() without reading until the refresh interval has passed, then reads again', async () => {
    const [first, second] = [await publicJwkText(), await publicJwkText()];
    const { cache, reads, advance } = cacheOver([first, second]);
    expect(cache.fresh()).toBeUndefined();
    expect(await cache.get()).toBe(await jwkThumbprint(parsePublicJwk(first)));
    expect(cache.fresh()).toBe(await jwkThumbprint(parsePublicJwk(first)));
    advance(999);
    expect(cache.fresh()).toBe(await jwkThumbprint(parsePublicJwk(first)));
    expect(reads.count).toBe(1);
    advance(1);
    expect(cache.fresh()).toBeUndefined();
    expect(await cache.get()).toBe(await jwkThumbprint(parsePublicJwk(second)));
    expect(reads.count).toBe(2);
  });

  it('shares one read between concurrent requests', async () => {
    const { cache, reads } = cacheOver([await publicJwkText()]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(new Set(answers).size).toBe(1);
    expect(reads.count).toBe(1);
  });

  it('keeps serving the last thumbprint when a refresh fails, and fails only with nothing cached', async () => {
    const text = await publicJwkText();
    const down = new Error('S3 unreachable');
    const { cache, advance } = cacheOver([text, down]);
    const thumbprint = await cache.get();
    advance(5000);
    expect(cache.fresh()).toBeUndefined();
    expect(await cache.get()).toBe(thumbprint);
    await expect(cacheOver([down]).cache.get()).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
  });
});
