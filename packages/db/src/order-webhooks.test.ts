import { describe, expect, it } from 'vitest';
import { updateTenant } from './domains/access.js';
import { claimDueWebhooks, enqueueWebhook, openOrder, setWebhookEndpoint } from './domains/orders.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

const NOW = new Date('2026-03-01T12:00:00Z');
useTestSchema({ 'plat-on': 'platform', 'plat-off': 'platform' });

/** The orders and events a claim at `now` hands out (each claimed one is out for a minute). */
const claim = async (now = NOW) =>
  (await claimDueWebhooks(db.pool, { now, leaseMs: 60_000, limit: 1_000 })).map(
    (d) => `${d.orderId} ${d.event}`,
  );

async function orderWithMessage(tenantId: string): Promise<string> {
  await setWebhookEndpoint(db.pool, { tenantId, url: `https://hooks.${tenantId}.example/orders` });
  const { id } = await openOrder(db.pool, testOrder({ targetTenantId: tenantId }));
  await enqueueWebhook(db.pool, { tenantId, orderId: id, event: 'order.issued', payload: {}, now: NOW });
  return id;
}

describe("webhook messages to a switched-off tenant's endpoint", () => {
  it('are not sent while the tenant is switched off, nor queued; what waited goes once it is on again', async () => {
    const on = await orderWithMessage('plat-on');
    const off = await orderWithMessage('plat-off');
    await updateTenant(db.pool, 'plat-off', { disabled: true }, NOW);
    // Its endpoint is still enabled, but the partner is no longer one: nothing of its orders reaches it.
    expect(await claim()).toEqual([`${on} order.issued`]);
    const queued = await enqueueWebhook(db.pool, {
      tenantId: 'plat-off',
      orderId: off,
      event: 'order.withdrawn',
      payload: {},
      now: NOW,
    });
    expect(queued).toBeNull();
    await updateTenant(db.pool, 'plat-off', { disabled: false }, NOW);
    expect(await claim()).toEqual([`${off} order.issued`]);
  });
});
