import { createHash } from 'node:crypto';
import { UrlError, UrlErrorCode } from './errors.js';

/** Options of {@link RecentlySeen}. */
export interface RecentlySeenOptions {
  /** How long a key counts as recently seen, in milliseconds. */
  readonly ttlMs: number;
  /** Upper bound on remembered keys; the least recently recorded key is forgotten first. */
  readonly maxEntries: number;
  /** Clock in milliseconds; injected so tests need no timers. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Bounded TTL set of keys (normalised URL keys): a URL fetched within the last `ttlMs` is not fetched again.
 * Memory stays below `maxEntries`; when full, the oldest record is dropped, so under a flood a URL may be
 * fetched again early (a cost, never a correctness problem). Each key is remembered by its SHA-256, whatever its
 * length: a sender's URL may have a key of up to 8,192 characters (`MAX_URL_LENGTH`), and a million of those
 * would be 8 GB.
 */
export class RecentlySeen {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** SHA-256 of the key -> expiry time. Insertion order is expiry order, because every record uses the same TTL. */
  readonly #expiries = new Map<string, number>();

  constructor(options: RecentlySeenOptions) {
    if (!(options.ttlMs > 0) || !Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new UrlError(
        UrlErrorCode.FetcherOptions,
        'RecentlySeen needs ttlMs > 0 and an integer maxEntries >= 1',
      );
    }
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Keys currently remembered (expired ones may linger until the next write). */
  get size(): number {
    return this.#expiries.size;
  }

  /** Whether the key was recorded less than `ttlMs` ago. */
  has(key: string): boolean {
    const expiry = this.#expiries.get(digest(key));
    return expiry !== undefined && expiry > this.#now();
  }

  /** Records the key as seen now (restarting its TTL). */
  add(key: string): void {
    const now = this.#now();
    const d = digest(key);
    this.#expiries.delete(d);
    this.#expiries.set(d, now + this.#ttlMs);
    this.#prune(now);
  }

  /**
   * The gate a fetcher wants: returns true if the key was seen within the TTL (skip it); otherwise records it
   * and returns false (go ahead). A hit does not extend the TTL, so a popular URL is re-checked every `ttlMs`.
   */
  checkAndAdd(key: string): boolean {
    if (this.has(key)) return true;
    this.add(key);
    return false;
  }

  /** Forgets a key (e.g. the fetch failed for a retriable reason and should be tried again soon). */
  delete(key: string): boolean {
    return this.#expiries.delete(digest(key));
  }

  #prune(now: number): void {
    for (const [key, expiry] of this.#expiries) {
      if (expiry > now && this.#expiries.size <= this.#maxEntries) break;
      this.#expiries.delete(key);
    }
  }
}

/** A key's fixed-size stand-in (43 characters). */
const digest = (key: string): string => createHash('sha256').update(key).digest('base64url');
