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
      const counted = Object.assign(Object.create(c) as PoolClient, {
        query: (text: string, values?: unknown[]) => {
          statements.push(/\/\* (\S+) \*\//.exec(text)?.[1] ?? text);
          return c.query(text, values);
        },
      });
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
