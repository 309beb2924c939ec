import { describe, expect, it } from 'vitest';
import {
  claimDueWebhooks,
  clearWebhookEndpoint,
  enqueueWebhook,
  openOrder,
  recordWebhookAttempt,
  setWebhookEndpoint,
} from './domains/orders.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

// Clearing a tenant's order webhook cancels what was queued for it (migration 0049): a delivery belongs to the
// endpoint it was queued for, never to the one set next. On real PostgreSQL, two connections where it matters.

const NOW = new Date('2026-03-01T12:00:00Z');
useTestSchema({ 'plat-a': 'platform', 'plat-b': 'platform' });

const statusOf = async (id: string | null) =>
  (await db.pool.query<{ status: string }>(`select status from webhook_deliveries where id = $1`, [id]))
    .rows[0]?.status;

async function queue(tenantId: string, q = db.pool): Promise<string | null> {
  const { id } = await openOrder(db.pool, testOrder({ targetTenantId: tenantId }));
  return enqueueWebhook(q, { tenantId, orderId: id, event: 'order.issued', payload: {}, now: NOW });
}

describe("clearing a tenant's order webhook", () => {
  it('cancels what was pending; an attempt under way when it came is recorded and never retried', async () => {
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-a', url: 'https://hooks.plat-a.example/orders' });
    const [inFlight, waiting] = [await queue('plat-a'), await queue('plat-a')];
    const claimed = await claimDueWebhooks(db.pool, { now: NOW, leaseMs: 60_000, limit: 1 });
    expect(claimed.map((d) => d.id)).toEqual([inFlight]);
    expect(await clearWebhookEndpoint(db.pool, 'plat-a', NOW)).toEqual({
      url: 'https://hooks.plat-a.example/orders',
      cancelledDeliveries: 2,
    });
    // The sender's answer for the claimed one comes after: a retry is asked for, the delivery stays cancelled.
    await recordWebhookAttempt(db.pool, {
      deliveryId: inFlight ?? '',
      at: NOW,
      statusCode: 503,
      error: 'HTTP 503',
      durationMs: 5,
      delivered: false,
      retryAt: new Date(NOW.getTime() + 1000),
    });
    expect([await statusOf(inFlight), await statusOf(waiting)]).toEqual(['cancelled', 'cancelled']);
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-a', url: 'https://other.example/orders' });
    const later = new Date(NOW.getTime() + 3_600_000);
    expect(await claimDueWebhooks(db.pool, { now: later, leaseMs: 60_000, limit: 100 })).toEqual([]);
    expect(await clearWebhookEndpoint(db.pool, 'plat-a', NOW)).toMatchObject({ cancelledDeliveries: 0 });
    expect(await clearWebhookEndpoint(db.pool, 'plat-a', NOW)).toBeNull();
  });

  it('cancels a delivery queued in a transaction that commits while the clear waits for it', async () => {
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-b', url: 'https://hooks.plat-b.example/orders' });
    const queuing = await db.pool.connect();
    const clearer = await db.pool.connect();
    try {
      const pidOf = async (c: typeof queuing) =>
        (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
      const [queuingPid, clearerPid] = [await pidOf(queuing), await pidOf(clearer)];
      await queuing.query('begin');
      const id = await queue('plat-b', queuing as unknown as typeof db.pool);
      const clearing = clearWebhookEndpoint(clearer, 'plat-b', NOW);
      // The clear waits for the queueing transaction (it holds the endpoint row), or, were it not held, is done.
      let done = false;
      void clearing.finally(() => (done = true));
      for (;;) {
        const { rows } = await db.pool.query<{ blocked: boolean }>(
          'select $2::int = any(pg_blocking_pids($1::int)) as blocked',
          [clearerPid, queuingPid],
        );
        if (done || rows[0]?.blocked === true) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await queuing.query('commit');
      expect(await clearing).toMatchObject({ cancelledDeliveries: 1 });
      expect(await statusOf(id)).toBe('cancelled');
    } finally {
      queuing.release();
      clearer.release();
    }
  });
});
