import { describe, expect, it } from 'vitest';
import type { PoolClient } from './pool.js';
import {
  claimDueWebhooks,
  clearWebhookEndpoint,
  enqueueWebhook,
  openOrder,
  recordWebhookAttempt,
  setWebhookEndpoint,
} from './domains/orders.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

// Clearing a tenant's order webhook, or pointing it at another URL, cancels what was queued for it (migration 0049):
// a delivery belongs to the endpoint it was queued for, never to the one set next, unless a repoint asks for it
// (requeue). On real PostgreSQL, two connections where it matters.

const NOW = new Date('2026-03-01T12:00:00Z');
useTestSchema({ 'plat-a': 'platform', 'plat-b': 'platform', 'plat-c': 'platform', 'plat-d': 'platform' });

const statusOf = async (id: string | null) =>
  (await db.pool.query<{ status: string }>(`select status from webhook_deliveries where id = $1`, [id]))
    .rows[0]?.status;

/** The sender's answer to an attempt: the receiver failed (503), a retry is asked for in a second. */
const retryAsked = (deliveryId: string | null) =>
  recordWebhookAttempt(db.pool, {
    deliveryId: deliveryId ?? '',
    at: NOW,
    statusCode: 503,
    error: 'HTTP 503',
    durationMs: 5,
    delivered: false,
    retryAt: new Date(NOW.getTime() + 1000),
  });

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
    await retryAsked(inFlight);
    expect([await statusOf(inFlight), await statusOf(waiting)]).toEqual(['cancelled', 'cancelled']);
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-a', url: 'https://other.example/orders' });
    const later = new Date(NOW.getTime() + 3_600_000);
    expect(await claimDueWebhooks(db.pool, { now: later, leaseMs: 60_000, limit: 100 })).toEqual([]);
    expect(await clearWebhookEndpoint(db.pool, 'plat-a', NOW)).toMatchObject({ cancelledDeliveries: 0 });
    expect(await clearWebhookEndpoint(db.pool, 'plat-a', NOW)).toBeNull();
  });

  it('cancels a delivery queued in a transaction that commits while the clear waits for it', async () => {
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-b', url: 'https://hooks.plat-b.example/orders' });
    const { id, waited } = await whileQueuing('plat-b', (c) => clearWebhookEndpoint(c, 'plat-b', NOW));
    expect(waited).toMatchObject({ cancelledDeliveries: 1 });
    expect(await statusOf(id)).toBe('cancelled');
  });
});

/**
 * Queues a delivery for `tenantId` in a transaction of its own, runs `change` on another connection, waits until
 * the change waits for that transaction (it holds the endpoint row), or is done (were it not held), then commits
 * the queueing. Answers the delivery and what the change answered.
 */
async function whileQueuing<T>(
  tenantId: string,
  change: (c: PoolClient) => Promise<T>,
): Promise<{ id: string | null; waited: T }> {
  const queuing = await db.pool.connect();
  const changer = await db.pool.connect();
  try {
    const pidOf = async (c: PoolClient) =>
      (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    const [queuingPid, changerPid] = [await pidOf(queuing), await pidOf(changer)];
    await queuing.query('begin');
    const id = await queue(tenantId, queuing as unknown as typeof db.pool);
    const changing = change(changer);
    let done = false;
    void changing.finally(() => (done = true));
    for (;;) {
      const { rows } = await db.pool.query<{ blocked: boolean }>(
        'select $2::int = any(pg_blocking_pids($1::int)) as blocked',
        [changerPid, queuingPid],
      );
      if (done || rows[0]?.blocked === true) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await queuing.query('commit');
    return { id, waited: await changing };
  } finally {
    queuing.release();
    changer.release();
  }
}

describe("pointing a tenant's order webhook at another URL", () => {
  const later = new Date(NOW.getTime() + 3_600_000);
  const claimAll = () => claimDueWebhooks(db.pool, { now: later, leaseMs: 60_000, limit: 100 });

  it('cancels what was queued for the old URL; the same URL set again keeps it', async () => {
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-c', url: 'https://hooks.plat-c.example/orders' });
    const [inFlight, waiting] = [await queue('plat-c'), await queue('plat-c')];
    expect(
      (await claimDueWebhooks(db.pool, { now: NOW, leaseMs: 60_000, limit: 1 })).map((d) => d.id),
    ).toEqual([inFlight]);
    // A new secret at the same URL: the same receiver, what waits goes to it.
    const rotated = await setWebhookEndpoint(db.pool, {
      tenantId: 'plat-c',
      url: 'https://hooks.plat-c.example/orders',
    });
    expect(rotated).toMatchObject({ cancelledDeliveries: 0, requeuedDeliveries: 0 });
    expect(await statusOf(waiting)).toBe('pending');
    const moved = await setWebhookEndpoint(db.pool, {
      tenantId: 'plat-c',
      url: 'https://takeover.example/orders',
      now: NOW,
    });
    expect(moved).toMatchObject({
      previousUrl: 'https://hooks.plat-c.example/orders',
      cancelledDeliveries: 2,
      requeuedDeliveries: 0,
    });
    // The attempt under way (to the old URL, which it was queued for) asks for a retry: it stays cancelled.
    await retryAsked(inFlight);
    expect([await statusOf(inFlight), await statusOf(waiting)]).toEqual(['cancelled', 'cancelled']);
    expect(await claimAll()).toEqual([]);
    const after = await queue('plat-c');
    expect((await claimAll()).map((d) => [d.id, d.url])).toEqual([
      [after, 'https://takeover.example/orders'],
    ]);
  });

  it('sends what was queued to the new URL, signed with its secret, only when asked (requeue)', async () => {
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-d', url: 'https://old.plat-d.example/orders' });
    const queued = [await queue('plat-d'), await queue('plat-d')];
    const moved = await setWebhookEndpoint(db.pool, {
      tenantId: 'plat-d',
      url: 'https://new.plat-d.example/orders',
      requeue: true,
    });
    expect(moved).toMatchObject({ cancelledDeliveries: 0, requeuedDeliveries: 2 });
    expect((await claimAll()).map((d) => [d.id, d.url, d.secret])).toEqual(
      queued.map((id) => [id, 'https://new.plat-d.example/orders', moved.secret]),
    );
  });

  it('cancels a delivery queued in a transaction that commits while the repoint waits for it', async () => {
    await setWebhookEndpoint(db.pool, { tenantId: 'plat-b', url: 'https://again.plat-b.example/orders' });
    const { id, waited } = await whileQueuing('plat-b', async (c) => {
      await c.query('begin');
      const set = await setWebhookEndpoint(c, {
        tenantId: 'plat-b',
        url: 'https://elsewhere.example/orders',
      });
      await c.query('commit');
      return set;
    });
    expect(await statusOf(id)).toBe('cancelled');
    expect(waited).toMatchObject({ cancelledDeliveries: 1 });
  });
});
