import { createHmac } from 'node:crypto';
import type { Queryable } from '@mod/db';
import { pruneRateBuckets, returnRateTokens, takeRateToken } from '@mod/db/reports';
import type { RateDecision, RateLimitOptions } from './rate-limit.js';

/**
 * Rate limits that hold across every API instance: token buckets in PostgreSQL (`takeRateToken`), where one kept in
 * each instance's memory gave a client the limit once per instance. Keys (a client's address) are stored as a keyed
 * digest only: the key is derived from `secret`, which must be the same on every instance (REPORT_FORM_SECRET).
 */
export interface SharedRateLimiter {
  /**
   * Takes `cost` tokens (default one) from `key`'s bucket at `nowMs`, all or none, on `db` (a transaction's client,
   * to charge with it) or the pool. Rejects when the database does not answer: the caller refuses (the limits are
   * never opened silently). Refused, `retryAfterMs` is the wait until the bucket holds `cost` tokens.
   */
  take(key: string, nowMs: number, db?: Queryable, cost?: number): Promise<RateDecision>;
  /**
   * Gives `cost` tokens taken from `key`'s bucket back at `nowMs` (the charged work failed through no fault of the
   * client), never above the burst, on `db` (a transaction's client) or the pool. Rejects when the database does not
   * answer.
   */
  giveBack(key: string, nowMs: number, cost: number, db?: Queryable): Promise<void>;
}

export interface SharedRateLimits {
  limiter(name: string, options: RateLimitOptions): SharedRateLimiter;
}

export interface SharedRateLimitOptions {
  db: Queryable;
  /** Secret the stored keys are derived from: the same on every instance. */
  secret: Buffer;
  /**
   * How often this instance forgets the buckets full again, on the connection of the take (no second connection
   * while a charge's transaction holds one). Default one minute (of the clock passed in).
   */
  pruneEveryMs?: number;
}

export function createSharedRateLimits(o: SharedRateLimitOptions): SharedRateLimits {
  const keyed = createHmac('sha256', o.secret).update('mod.rate-limit.key.v1').digest();
  const digest = (name: string, key: string) =>
    createHmac('sha256', keyed).update(`${name}\0${key}`).digest();
  const pruneEveryMs = o.pruneEveryMs ?? 60_000;
  let prunedAtMs = -Infinity;
  return {
    limiter(name, options) {
      const { ratePerSecond, burst } = options;
      if (!(ratePerSecond > 0) || !(burst >= 1))
        throw new RangeError('ratePerSecond must be > 0 and burst >= 1');
      return {
        async take(key, nowMs, db = o.db, cost = 1) {
          const now = new Date(nowMs);
          if (nowMs - prunedAtMs >= pruneEveryMs) {
            prunedAtMs = nowMs;
            await pruneRateBuckets(db, now);
          }
          const { allowed, tokens } = await takeRateToken(db, name, digest(name, key), options, now, cost);
          return {
            allowed,
            remaining: Math.floor(tokens),
            retryAfterMs: allowed ? 0 : Math.ceil(((cost - tokens) * 1000) / ratePerSecond),
          };
        },
        async giveBack(key, nowMs, cost, db = o.db) {
          await returnRateTokens(db, name, digest(name, key), options, new Date(nowMs), cost);
        },
      };
    },
  };
}
