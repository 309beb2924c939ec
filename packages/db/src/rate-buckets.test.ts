import { describe, expect, it } from 'vitest';
import { withTransaction } from './pool.js';
import { pruneRateBuckets, recordFormCharge, returnRateTokens, takeRateToken } from './rate-buckets.js';
import { db, useTestSchema } from './testing.test-helper.js';

// Token buckets in PostgreSQL (migration 0044), shared by every API instance. Time is passed in: no clock read here.

useTestSchema();

const rule = { ratePerSecond: 1, burst: 2 };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);
const key = (k: string) => Buffer.from(k.padEnd(32, '.'));

describe('rate buckets', () => {
  it('allows the burst, refuses beyond it without spending, and refills at the rate up to the burst', async () => {
    const take = (s: number) => takeRateToken(db.pool, 'test', key('a'), rule, at(s));
    expect(await take(0)).toEqual({ allowed: true, tokens: 1 });
    expect(await take(0)).toEqual({ allowed: true, tokens: 0 });
    expect(await take(0.5)).toEqual({ allowed: false, tokens: 0.5 });
    expect(await take(1)).toEqual({ allowed: true, tokens: 0 });
    // A take with an earlier clock (another instance's, behind) refills nothing and moves nothing back.
    expect(await take(0.5)).toEqual({ allowed: false, tokens: 0 });
    expect(await take(100)).toEqual({ allowed: true, tokens: 1 });
    // Another limiter's bucket of the same key, and another key's, are their own.
    expect((await takeRateToken(db.pool, 'other', key('a'), rule, at(1))).allowed).toBe(true);
    expect((await takeRateToken(db.pool, 'test', key('b'), rule, at(1))).allowed).toBe(true);
  });

  it('takes a cost of many tokens whole or not at all, and refuses a cost above the burst', async () => {
    const lines = { ratePerSecond: 10, burst: 100 };
    const take = (s: number, cost: number) => takeRateToken(db.pool, 'cost', key('c'), lines, at(s), cost);
    expect(await take(0, 101)).toEqual({ allowed: false, tokens: 100 });
    expect(await take(0, 60)).toEqual({ allowed: true, tokens: 40 });
    // 50 asked, 40 left: refused whole, nothing spent.
    expect(await take(0, 50)).toEqual({ allowed: false, tokens: 40 });
    expect(await take(0, 40)).toEqual({ allowed: true, tokens: 0 });
    // Ten a second: 50 after five seconds.
    expect(await take(4, 50)).toEqual({ allowed: false, tokens: 40 });
    expect(await take(5, 50)).toEqual({ allowed: true, tokens: 0 });
    await expect(take(5, 0)).rejects.toThrow(RangeError);
  });

  it('gives tokens back after refilling, never above the burst, and leaves a bucket with no row full', async () => {
    const lines = { ratePerSecond: 10, burst: 100 };
    const take = (s: number, cost: number) => takeRateToken(db.pool, 'back', key('r'), lines, at(s), cost);
    const giveBack = (s: number, amount: number) =>
      returnRateTokens(db.pool, 'back', key('r'), lines, at(s), amount);
    expect(await take(0, 80)).toEqual({ allowed: true, tokens: 20 });
    // Given back at once: all 80, the bucket full again.
    expect(await giveBack(0, 80)).toBe(100);
    expect(await take(0, 90)).toEqual({ allowed: true, tokens: 10 });
    // Five seconds later 60 are there (10 + 50): 90 back would be 150, the burst caps it.
    expect(await giveBack(5, 90)).toBe(100);
    expect(await take(5, 100)).toEqual({ allowed: true, tokens: 0 });
    expect(await take(5, 1)).toEqual({ allowed: false, tokens: 0 });
    // Nobody's bucket: no row, nothing made.
    expect(await returnRateTokens(db.pool, 'back', key('none'), lines, at(0), 5)).toBeNull();
    const { rows } = await db.pool.query(`select 1 from rate_buckets where limiter = 'back'`);
    expect(rows).toHaveLength(1);
    await expect(giveBack(5, 0)).rejects.toThrow(RangeError);
  });

  it('counts takes at the same instant one after the other, each from its own connection', async () => {
    const all = await Promise.all(
      Array.from({ length: 5 }, () => takeRateToken(db.pool, 'test', key('same'), rule, at(0))),
    );
    expect(all.filter((t) => t.allowed)).toHaveLength(2);
  });

  it('forgets the buckets full again, and keeps the others', async () => {
    await takeRateToken(db.pool, 'prune', key('full'), rule, at(0));
    await takeRateToken(db.pool, 'prune', key('spent'), rule, at(0));
    await takeRateToken(db.pool, 'prune', key('spent'), rule, at(0));
    // At 1 s the first is full again (1 + 1), the second is not (0 + 1).
    await pruneRateBuckets(db.pool, at(1));
    const { rows } = await db.pool.query<{ key: Buffer }>(
      `select key from rate_buckets where limiter = 'prune'`,
    );
    expect(rows.map((r) => r.key.toString().replace(/\.+$/, ''))).toEqual(['spent']);
  });

  it("records a form's charge once: the first is charged, the others are repeats, a rolled-back one never was", async () => {
    const until = at(3600);
    await expect(
      withTransaction(db.pool, async (c) => {
        expect(await recordFormCharge(c, 'n1', until)).toEqual({ first: true });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await recordFormCharge(db.pool, 'n1', until)).toEqual({ first: true });
    expect(await recordFormCharge(db.pool, 'n1', until)).toEqual({ first: false, repeats: 1 });
    expect(await recordFormCharge(db.pool, 'n1', until)).toEqual({ first: false, repeats: 2 });
    expect((await pruneRateBuckets(db.pool, at(3600))).forms).toBeGreaterThanOrEqual(1);
    expect(await recordFormCharge(db.pool, 'n1', until)).toEqual({ first: true });
  });
});
