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

  describe('during a key rollover (jwk.json with next and nextFrom)', () => {
    async function rolloverText(nextFromMs: number) {
      const current = JSON.parse(await publicJwkText()) as Record<string, string>;
      const next = JSON.parse(await publicJwkText()) as Record<string, string>;
      const text = JSON.stringify({ ...current, next, nextFrom: new Date(nextFromMs).toISOString() });
      return { text, current: await jwkThumbprint(current), next: await jwkThumbprint(next) };
    }

    it('answers with the current key before nextFrom and the next from it on, without reading jwk.json again', async () => {
      // the clock of cacheOver starts at 1_000_000 ms
      const published = await rolloverText(1_000_000 + 500);
      const { cache, reads, advance } = cacheOver([published.text], 10_000);
      expect(await cache.get()).toBe(published.current);
      advance(499);
      expect(cache.fresh()).toBe(published.current);
      advance(1);
      expect(cache.fresh()).toBe(published.next);
      expect(await cache.get()).toBe(published.next);
      expect(reads.count).toBe(1);
    });

    it('switches at nextFrom even while S3 cannot be read', async () => {
      const published = await rolloverText(1_000_000 + 5_000);
      const { cache, advance } = cacheOver([published.text, new Error('S3 unreachable')], 1000);
      expect(await cache.get()).toBe(published.current);
      advance(2_000);
      expect(await cache.get()).toBe(published.current);
      advance(3_000);
      expect(await cache.get()).toBe(published.next);
    });

    it('reads the finished rollover (the plain next JWK) as the one key', async () => {
      const published = await rolloverText(0);
      const nextOnly = JSON.stringify((JSON.parse(published.text) as { next: unknown }).next);
      const { cache, advance } = cacheOver([published.text, nextOnly], 1000);
      expect(await cache.get()).toBe(published.next);
      advance(1000);
      expect(await cache.get()).toBe(published.next);
    });

    it.each([
      ['next without nextFrom', (t: Record<string, unknown>) => ({ ...t, nextFrom: undefined }), /field nextFrom/],
      ['nextFrom without next', (t: Record<string, unknown>) => ({ ...t, next: undefined }), /field next: expected a JSON object/],
      ['a nextFrom that is not a date', (t: Record<string, unknown>) => ({ ...t, nextFrom: 'soon' }), /field nextFrom: expected an ISO 8601 date/],
      ['a private member in next', (t: Record<string, unknown>) => ({ ...t, next: { ...(t.next as object), d: 'secret' } }), /field next\.d: it holds private key members/],
    ])('refuses %s as corrupt, never answering with it', async (_case, edit, message) => {
      const published = await rolloverText(0);
      const text = JSON.stringify(edit(JSON.parse(published.text) as Record<string, unknown>));
      await expect(cacheOver([text]).cache.get()).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT', message: expect.stringMatching(message) as unknown });
    });
  });
});
