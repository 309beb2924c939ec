import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { getOrder } from './order-reads.js';
import { openOrder } from './order-issue.js';
import { upsertTenant } from './tenants.js';
import { useSchemaBeforeMigration } from './old-migrations.test-helper.js';
import { testOrder } from './testing.test-helper.js';

const w = useSchemaBeforeMigration(53);

describe('migration 0054: escalation reasons as columns', () => {
  it('fills them in from the notes the lifecycle wrote, for the history and the order’s last escalation', async () => {
    expect((await migrate(w.db.pool, w.db.schema, w.oldDir)).at(-1)).toBe(53);
    await upsertTenant(w.db.pool, { id: 'isp-1', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const { id } = await openOrder(w.db.pool, testOrder());
    await w.db.pool.query(
      `insert into order_events (order_id, status, actor, note, at) values
         ($1, 'escalated', 'actioner', 'deadline 2026-04-01T01:00:00.000Z missed', '2026-04-01T02:00:00Z'),
         ($1, 'actioned', 'platform', 'deadline 2026-04-01T01:00:00.000Z missed', '2026-04-01T03:00:00Z'),
         ($1, 'escalated', 'actioner', 'verification inconclusive past 2026-04-02T01:00:00.000Z', '2026-04-02T02:00:00Z'),
         ($1, 'escalated', 'someone', 'escalated by hand', '2026-04-02T03:00:00Z'),
         ($1, 'escalated', 'actioner', 'verification inconclusive past 2026-04-03T01:00:00.000Z', '2026-04-03T02:00:00Z')`,
      [id],
    );
    await w.db.pool.query(`update orders set escalated_at = '2026-04-03T02:00:00Z' where id = $1`, [id]);
    expect(await migrate(w.db.pool, w.db.schema)).toContain(54);
    const order = await getOrder(w.db.pool, id, { all: true });
    expect(order?.history.slice(1).map((h) => h.escalationReason ?? null)).toEqual([
      'deadline-missed',
      null,
      'verification-inconclusive',
      null,
      'verification-inconclusive',
    ]);
    const { rows } = await w.db.pool.query<{ escalation_reason: string | null }>(
      'select escalation_reason from orders where id = $1',
      [id],
    );
    expect(rows[0]?.escalation_reason).toBe('verification-inconclusive');
  });
});
