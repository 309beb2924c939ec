import { describe, expect, it } from 'vitest';
import { withTransaction } from './index.js';
import { keysetArgs, keysetPage } from './keyset.js';
import { listOrders, openOrder } from './domains/orders.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'isp-1': 'isp' });

/** Every row of `read`, a page of `size` at a time, each page after the last row of the one before. */
async function pageThrough<R extends { id: string; at: Date | string }>(
  read: (after: R | undefined) => Promise<R[]>,
  size: number,
): Promise<string[]> {
  const seen: string[] = [];
  let after: R | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = await read(after);
    seen.push(...page.map((r) => r.id));
    if (page.length < size) return seen;
    after = page.at(-1);
  }
  throw new Error(`still paging after 20 pages: ${seen.join(' ')}`);
}

describe('keyset pages of rows one transaction wrote (one now(), microseconds past the cursor)', () => {
  it.each(['asc', 'desc'] as const)('visits every row once, %s', async (direction) => {
    await db.pool.query(`create table if not exists keyed (id uuid primary key, at timestamptz not null)`);
    const { rows } = await db.pool.query<{ id: string }>(
      `insert into keyed (id, at) select gen_random_uuid(), now() from generate_series(1, 7) returning id`,
    );
    const key = { table: 'keyed', alias: 'kd', time: 'at', id: 'id' };
    const seen = await pageThrough<{ id: string; at: Date }>(async (after) => {
      const page = await db.pool.query<{ id: string; at: Date }>(
        `select kd.id, kd.at from keyed kd where kd.id = any($4::uuid[]) and ${keysetPage(key, direction, 1)}`,
        [...keysetArgs(after?.at, after?.id, 2), rows.map((r) => r.id)],
      );
      return page.rows;
    }, 2);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set(rows.map((r) => r.id)));
  });

  it('lists every order of a batch issued together, two to a page, as GET /v1/orders pages them', async () => {
    const batch = await withTransaction(db.pool, async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await openOrder(tx, testOrder())).id);
      return ids;
    });
    const now = new Date();
    const seen = await pageThrough(async (after?: { id: string; at: string }) => {
      const orders = await listOrders(db.pool, {
        scope: { all: true },
        limit: 2,
        now,
        ...(after === undefined ? {} : { after: { createdAt: after.at, id: after.id } }),
      });
      return orders.map((o) => ({ id: o.id, at: o.createdAt }));
    }, 2);
    expect(seen.toSorted()).toEqual(batch.toSorted());
  });
});
