import { ErrorCodes, IssuerError, jwkThumbprint, parsePublicJwk } from '../../lib/core/index.js';

export interface ThumbprintCacheOptions {
  /** Reads account/jwk.json; rejects when storage cannot be reached. */
  readonly readJwk: () => Promise<string>;
  /** How long a thumbprint is trusted before jwk.json is read again (an account key change is picked up after it). */
  readonly refreshMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Holds the account thumbprint for the life of a Lambda instance. One read at a time (concurrent
 * requests share it); when a refresh fails the last good thumbprint keeps being served, because a
 * stale answer is still right unless the account key changed, and a 503 is never better.
 */
export class ThumbprintCache {
  private value: { thumbprint: string; fetchedAt: number } | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ThumbprintCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The thumbprint when one is cached and not due for a refresh: answered without a promise, as nearly every request is. */
  fresh(): string | undefined {
    const cached = this.value;
    return cached !== undefined && this.now() - cached.fetchedAt < this.options.refreshMs ? cached.thumbprint : undefined;
  }

  async get(): Promise<string> {
    const fresh = this.fresh();
    if (fresh !== undefined) return fresh;
    const cached = this.value;
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    try {
      return await this.inFlight;
    } catch (error) {
      if (cached !== undefined) return cached.thumbprint;
      throw error;
    }
  }

  private async refresh(): Promise<string> {
    let text: string;
    try {
      text = await this.options.readJwk();
    } catch (cause) {
      throw new IssuerError(ErrorCodes.STORAGE_UNAVAILABLE, 'account public JWK could not be read', { cause });
    }
    const thumbprint = await jwkThumbprint(parsePublicJwk(text));
    this.value = { thumbprint, fetchedAt: this.now() };
    return thumbprint;
  }
}
