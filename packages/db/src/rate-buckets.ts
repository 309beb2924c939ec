import type { Queryable } from './pool.js';

/**
 * Token buckets kept in the database (migration 0044), so that a limit holds across every API instance: one bucket
 * per (limiter, key), refilled at `ratePerSecond` up to `burst`. Time is passed in (each instance's clock, or a
 * test's); a bucket never goes back in time (an instance whose clock is behind refills nothing).
 */
export interface BucketRule {
  ratePerSecond: number;
  burst: number;
}

export interface BucketTake {
  allowed: boolean;
  /** Tokens left after this take (fractional). */
  tokens: number;
}

/**
 * Takes `cost` tokens (default one; more for a charge by size, such as an upload's lines) from the bucket
 * (`limiter`, `key`) at `now`, in one statement: the refill since the stored time, the decision and the new state
 * are computed on the row under its lock, so two instances taking at once are counted one after the other. A
 * take is all or nothing: a refused one (fewer tokens than `cost`, or `cost` above the burst) changes nothing but
 * `allowed`. `key`: a keyed digest, never a client's address as such.
 */
export async function takeRateToken(
  db: Queryable,
  limiter: string,
  key: Buffer,
  rule: BucketRule,
  now: Date,
  cost = 1,
): Promise<BucketTake> {
  if (!(cost > 0)) throw new RangeError('cost must be > 0');
  const { rows } = await db.query<{ tokens: number; allowed: boolean }>(
    `/* rate:take */ insert into rate_buckets as b (limiter, key, tokens, at, allowed, full_at)
     select $1, $2, $5::float8 - spent, $3, spent > 0, $3::timestamptz + make_interval(secs => spent / $4::float8)
     from (select case when $5::float8 >= $6::float8 then $6::float8 else 0 end as spent) first
     on conflict (limiter, key) do update set (tokens, at, allowed, full_at) = (
       select r - spent, t, spent > 0, t + make_interval(secs => ($5::float8 - (r - spent)) / $4::float8)
       from (select r, t, case when r >= $6::float8 then $6::float8 else 0 end as spent
             from (select least($5::float8,
                                b.tokens + greatest(0, extract(epoch from $3::timestamptz - b.at)::float8) * $4::float8) as r,
                          greatest(b.at, $3::timestamptz) as t) refill) decided)
     returning tokens, allowed`,
    [limiter, key, now, rule.ratePerSecond, rule.burst, cost],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('rate:take returned no row');
  return { allowed: row.allowed, tokens: Number(row.tokens) };
}

/**
 * Gives `amount` tokens back to the bucket (`limiter`, `key`) at `now`: a charge whose work then failed through no
 * fault of the caller (an upload the broker did not take). One statement on the row under its lock, like a take:
 * refilled to `now` first, then credited, never above the burst. A bucket with no row is full (rows are forgotten
 * only when full again): nothing to give back. Answers the tokens after it (null: no row, the bucket is full).
 */
export async function returnRateTokens(
  db: Queryable,
  limiter: string,
  key: Buffer,
  rule: BucketRule,
  now: Date,
  amount: number,
): Promise<number | null> {
  if (!(amount > 0)) throw new RangeError('amount must be > 0');
  const { rows } = await db.query<{ tokens: number }>(
    `/* rate:return */ update rate_buckets as b set (tokens, at, full_at) = (
       select n, t, t + make_interval(secs => ($5::float8 - n) / $4::float8)
       from (select least($5::float8,
                          b.tokens + greatest(0, extract(epoch from $3::timestamptz - b.at)::float8) * $4::float8
                            + $6::float8) as n,
                    greatest(b.at, $3::timestamptz) as t) refill)
     where b.limiter = $1 and b.key = $2
     returning tokens`,
    [limiter, key, now, rule.ratePerSecond, rule.burst, amount],
  );
  const row = rows[0];
  return row === undefined ? null : Number(row.tokens);
}

/**
 * Records the public form `nonce` as charged, in the caller's transaction: 'first' when no instance recorded it
 * before (the caller charges it, and rolls back if the charge is refused: the form is then charged as a first when
 * sent again); else the repeats answered for it so far, this one counted. A second instance recording the same form
 * at the same instant waits on the first's row until that transaction ends.
 */
export async function recordFormCharge(
  db: Queryable,
  nonce: string,
  expiresAt: Date,
): Promise<{ first: true } | { first: false; repeats: number }> {
  const inserted = await db.query(
    `/* rate:form-charge */ insert into report_form_charges (nonce, expires_at) values ($1, $2)
     on conflict (nonce) do nothing`,
    [nonce, expiresAt],
  );
  if (inserted.rowCount === 1) return { first: true };
  const { rows } = await db.query<{ repeats: number }>(
    `/* rate:form-repeat */ update report_form_charges set repeats = repeats + 1 where nonce = $1
     returning repeats`,
    [nonce],
  );
  return { first: false, repeats: rows[0]?.repeats ?? 1 };
}

/**
 * Forgets the buckets full again at `now` (no different from none) and the forms charged whose tokens expired. Rows
 * locked by a take under way are skipped (the next pass has them): a pass never waits on, nor blocks, a charge.
 */
export async function pruneRateBuckets(
  db: Queryable,
  now: Date,
): Promise<{ buckets: number; forms: number }> {
  const buckets = await db.query(
    `/* rate:prune */ delete from rate_buckets where ctid = any (array(
       select ctid from rate_buckets where full_at <= $1 for update skip locked))`,
    [now],
  );
  const forms = await db.query(
    `/* rate:prune-forms */ delete from report_form_charges where ctid = any (array(
       select ctid from report_form_charges where expires_at <= $1 for update skip locked))`,
    [now],
  );
  return { buckets: buckets.rowCount ?? 0, forms: forms.rowCount ?? 0 };
}
