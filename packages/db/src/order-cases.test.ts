import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decisionEffectsOn } from './decision-effects.js';
import { openOrder } from './order-issue.js';
import { withTransaction, type PoolClient } from './pool.js';
import { insertSubmission } from './submissions.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'isp-1': 'isp', 'plat-1': 'platform' });

const confirmCase = (submissionId: string, orderIds: string[]) => ({
  kind: 'confirm' as const,
  submissionId,
  orderIds,
  reason: 'bank hit',
  evidence: {},
  policyVersion: '1',
  createdAt: new Date(),
});

/** `c`, its statements' names (`/* name *\/`) pushed to `statements` as they are asked. */
const counting = (c: PoolClient, statements: string[]): PoolClient =>
  Object.assign(Object.create(c) as PoolClient, {
    query: (text: string, values?: unknown[]) => {
      statements.push(/\/\* (\S+) \*\//.exec(text)?.[1] ?? text);
      return c.query(text, values);
    },
  });

describe('a new automatic order', () => {
  it("is written with its 'issued' event and its submission's link in one statement", async () => {
    const input = testOrder({ submissionId: randomUUID(), actor: 'policy' });
    const statements: string[] = [];
    const opened = await withTransaction(db.pool, (c) => openOrder(counting(c, statements), input));
    expect(opened.created).toBe(true);
    expect(statements).toEqual(['orders:open-order']);
    const events = await db.pool.query('select status, actor from order_events where order_id = $1', [
      opened.id,
    ]);
    expect(events.rows).toEqual([{ status: 'issued', actor: 'policy' }]);
    // The same content from another submission folds into it, linked too; an order of no submission links none.
    const other = randomUUID();
    expect(await openOrder(db.pool, { ...input, submissionId: other })).toEqual({
      id: opened.id,
      created: false,
    });
    const links = await db.pool.query('select submission_id from order_submissions where order_id = $1', [
      opened.id,
    ]);
    expect(links.rows.map((r: { submission_id: string }) => r.submission_id).sort()).toEqual(
      [input.submissionId, other].sort(),
    );
    const alone = await openOrder(db.pool, testOrder());
    const linked = await db.pool.query('select 1 from order_submissions where order_id = $1', [alone.id]);
    expect(linked.rowCount).toBe(0);
  });
});

describe("a decision's confirmation case", () => {
  it('is opened only for orders that await an authority, each asked in one statement', async () => {
    const submissionId = randomUUID();
    const submission = { tenantId: 'plat-1', source: 'kafka' as const, url: null, sha256: null, bytes: 1 };
    await insertSubmission(db.pool, { id: submissionId, ...submission });
    const awaiting = (await openOrder(db.pool, testOrder({ submissionId }))).id;
    const confirmed = (await openOrder(db.pool, testOrder({ submissionId }))).id;
    await db.pool.query('update orders set confirmed_at = now() where id = $1', [confirmed]);
    const statements: string[] = [];
    const opened = await withTransaction(db.pool, async (c) => {
      const counted = counting(c, statements);
      const fx = decisionEffectsOn(counted, { prefix: '' });
      return [
        await fx.openCase(confirmCase(submissionId, [confirmed])),
        await fx.openCase(confirmCase(submissionId, [awaiting])),
      ];
    });
    // Orders an authority confirmed already: a case for them would never close.
    expect(opened).toEqual([null, { id: expect.any(String) as string, created: true, reopened: false }]);
    expect(statements).toEqual(['actioner:open-case', 'actioner:open-case']);
    const cases = await db.pool.query('select order_ids from cases where submission_id = $1', [submissionId]);
    expect(cases.rows).toEqual([{ order_ids: [awaiting] }]);
  });
});
