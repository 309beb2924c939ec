import { createHash } from 'node:crypto';

/** Options of {@link SeenUrls}. */
export interface SeenUrlsOptions {
  /** How long a URL handled (fetched and submitted, or a listed hit reported) is not handled again, ms. */
  readonly ttlMs: number;
  /**
   * How long a URL whose fetch was refused (a 404, a 403, not media, too large, a blocked address) is not fetched
   * again, ms, the first time; doubled for each refusal in a row, at most `refusedMaxTtlMs`.
   */
  readonly refusedTtlMs: number;
  /** The longest a run of refusals keeps a URL from being fetched, ms; never more than `ttlMs`. */
  readonly refusedMaxTtlMs: number;
  /** Upper bound on remembered keys; the least recently written is forgotten first. */
  readonly maxEntries: number;
  /** Clock in milliseconds; injected so tests need no timers. Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  /** Not handled again before this time. */
  until: number;
  /** Refusals in a row (reset by a success). */
  refusals: number;
  /** Forgotten (refusals too) after this time: `ttlMs` after the entry was last written. */
  forgetAt: number;
}

/**
 * The fetcher's memory of observed URLs, by key: a URL handled within `ttlMs` is not handled again, but a refused
 * fetch keeps it only briefly (`refusedTtlMs`, doubling per refusal in a row): content not live yet, or a host
 * answering the first fetch with an error on purpose, must not keep the URL unfetched for hours. Memory stays below
 * `maxEntries`; each key is kept by its SHA-256 whatever its length (a URL key may have 8,192 characters).
 */
export class SeenUrls {
  readonly #o: Required<SeenUrlsOptions>;
  /** SHA-256 of the key -> entry. Insertion order is `forgetAt` order: every write re-inserts with `now + ttlMs`. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: SeenUrlsOptions) {
    const { ttlMs, refusedTtlMs, refusedMaxTtlMs, maxEntries } = options;
    if (![ttlMs, refusedTtlMs, refusedMaxTtlMs].every((ms) => ms > 0))
      throw new RangeError('SeenUrls needs ttlMs, refusedTtlMs and refusedMaxTtlMs > 0');
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('SeenUrls needs an integer maxEntries >= 1');
    this.#o = {
      ttlMs,
      refusedMaxTtlMs: Math.min(refusedMaxTtlMs, ttlMs),
      refusedTtlMs: Math.min(refusedTtlMs, refusedMaxTtlMs, ttlMs),
      maxEntries,
      now: options.now ?? Date.now,
    };
  }

  /** Keys currently remembered (expired ones may linger until the next write). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The gate: true if the key is not to be handled now (skip it); otherwise it is taken (held for `ttlMs`, so that
   * the same URL in flight is not fetched twice at once) and false is returned (go ahead). Then say how it went:
   * {@link succeeded}, {@link refused} or {@link forget}.
   */
  checkAndAdd(key: string): boolean {
    const now = this.#o.now();
    const d = digest(key);
    const entry = this.#entries.get(d);
    if (entry !== undefined && entry.until > now && entry.forgetAt > now) return true;
    const refusals = entry !== undefined && entry.forgetAt > now ? entry.refusals : 0;
    this.#write(d, { until: now + this.#o.ttlMs, refusals }, now);
    return false;
  }

  /** The key was handled: not handled again for `ttlMs` from now; its run of refusals ends. */
  succeeded(key: string): void {
    const now = this.#o.now();
    this.#write(digest(key), { until: now + this.#o.ttlMs, refusals: 0 }, now);
  }

  /** The key's fetch was refused: not fetched again for `refusedTtlMs`, doubled per refusal in a row, capped. */
  refused(key: string): void {
    const now = this.#o.now();
    const d = digest(key);
    const previous = this.#entries.get(d);
    const refusals = (previous !== undefined && previous.forgetAt > now ? previous.refusals : 0) + 1;
    const ms = Math.min(this.#o.refusedTtlMs * 2 ** Math.min(refusals - 1, 52), this.#o.refusedMaxTtlMs);
    this.#write(d, { until: now + ms, refusals }, now);
  }

  /** The key's handling failed transiently (a timeout, a busy host, a broker outage): its next observation goes on. */
  forget(key: string): void {
    const d = digest(key);
    const entry = this.#entries.get(d);
    if (entry === undefined) return;
    if (entry.refusals === 0) this.#entries.delete(d);
    else entry.until = 0; // no longer held, its run of refusals remembered
  }

  #write(d: string, entry: Omit<Entry, 'forgetAt'>, now: number): void {
    this.#entries.delete(d);
    this.#entries.set(d, { ...entry, forgetAt: now + this.#o.ttlMs });
    for (const [key, e] of this.#entries) {
      if (e.forgetAt > now && this.#entries.size <= this.#o.maxEntries) break;
      this.#entries.delete(key);
    }
  }
}

/** A key's fixed-size stand-in (43 characters). */
const digest = (key: string): string => createHash('sha256').update(key).digest('base64url');
