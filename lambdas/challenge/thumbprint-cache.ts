import { ErrorCodes, IssuerError, jwkThumbprint, parsePublishedJwk } from '../../lib/core/index.js';

export interface ThumbprintCacheOptions {
  /** Reads account/jwk.json; rejects when storage cannot be reached. */
  readonly readJwk: () => Promise<string>;
  /** How long a thumbprint is trusted before jwk.json is read again (an account key change is picked up after it). */
  readonly refreshMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What one read of account/jwk.json gives: the current thumbprint and, during a rollover, the next one and from when it answers. */
interface Published {
  readonly current: string;
  readonly next: { readonly thumbprint: string; readonly from: number } | undefined;
}

/**
 * Holds the account thumbprint for the life of a Lambda instance. One read at a time (concurrent
 * requests share it); when a refresh fails the last good thumbprint keeps being served, because a
 * stale answer is still right unless the account key changed, and a 503 is never better.
 *
 * During a key rollover jwk.json also carries the next key and `nextFrom`: the CA compares the
 * whole body with token.thumbprint of the key it holds at that moment, so one answer is given,
 * and it switches to the next key's at `nextFrom` on this instance's clock, read or not. The
 * issuer publishes the next key at least refreshMs before that (lib/core/rollover.ts), so every
 * instance switches at once, and changes the key at each CA only from then on.
 */
export class ThumbprintCache {
  private value: { published: Published; fetchedAt: number } | undefined;
  private inFlight: Promise<Published> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ThumbprintCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The thumbprint when one is cached and not due for a refresh: answered without a promise, as nearly every request is. */
  fresh(): string | undefined {
    const cached = this.value;
    return cached !== undefined && this.now() - cached.fetchedAt < this.options.refreshMs ? this.answer(cached.published) : undefined;
  }

  async get(): Promise<string> {
    const fresh = this.fresh();
    if (fresh !== undefined) return fresh;
    const cached = this.value;
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    try {
      return this.answer(await this.inFlight);
    } catch (error) {
      if (cached !== undefined) return this.answer(cached.published);
      throw error;
    }
  }

  private answer(published: Published): string {
    return published.next !== undefined && this.now() >= published.next.from ? published.next.thumbprint : published.current;
  }

  private async refresh(): Promise<Published> {
    let text: string;
    try {
      text = await this.options.readJwk();
    } catch (cause) {
      throw new IssuerError(ErrorCodes.STORAGE_UNAVAILABLE, 'account public JWK could not be read', { cause });
    }
    const parsed = parsePublishedJwk(text);
    const published: Published = {
      current: await jwkThumbprint(parsed.current),
      next: parsed.next === undefined ? undefined : { thumbprint: await jwkThumbprint(parsed.next.jwk), from: parsed.next.from.getTime() },
    };
    this.value = { published, fetchedAt: this.now() };
    return published;
  }
}
