import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '@mod/db/orders';
import { setWebhookEndpoint } from '@mod/db/orders';
import { seedTenants } from '@mod/testing';
import {
  call,
  startOrdersWorld,
  startWebhookReceiver,
  type OrdersWorld,
  type WebhookReceiver,
} from './orders-helpers.js';

// An admin clears a platform's order webhook while order notices wait for it, then the platform's webhook is set
// to another receiver; or the webhook is pointed at another receiver without a clear. What was queued belongs to
// the endpoint it was queued for: cancelled by the clear or the repoint, it never reaches the new receiver, which
// gets only what is queued after it was set (unless the repoint asks for it, requeue). API and actioner (its
// SSRF-safe sender, loopback standing in for public hosts) on the real broker and PostgreSQL; both receivers on
// 127.0.0.1.

let ow: OrdersWorld;
let next: WebhookReceiver;
let adminKey: string;

beforeAll(async () => {
  ow = await startOrdersWorld();
  next = await startWebhookReceiver(ow.clock);
  ({ ops: adminKey = '' } = await seedTenants(ow.world.db, [{ id: 'ops', kind: 'admin', role: 'admin' }]));
});
afterAll(async () => {
  await next?.close();
  await ow?.close();
});

let n = 0;
/** An order to platform-2 issued by the authority; its `order.issued` notice is queued for platform-2's webhook. */
async function issue(): Promise<string> {
  const res = await call(ow, ow.keys['authority-1'], 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: 'platform-2',
    subject: { type: 'url', value: `https://platform-two.example/photo/${(n += 1)}` },
    legalBasisId: 'eu-tco',
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>().id;
}

/** The orders a receiver was sent platform-2's notices of (any request, signed right or not). */
const ordersSeenBy = (receiver: WebhookReceiver) =>
  receiver.requests.map((r) => (JSON.parse(r.body) as { order: { id: string } }).order.id);

describe("clearing or repointing a tenant's order webhook", () => {
  it('cancels what was queued for it: the receiver set next gets only what is queued after', async () => {
    await setWebhookEndpoint(ow.world.db, {
      tenantId: 'platform-2',
      url: ow.receiver.url,
      secret: ow.receiver.secret,
    });
    const queued = [await issue(), await issue()];
    const cleared = await ow.app.inject({
      method: 'DELETE',
      url: '/v1/admin/tenants/platform-2/order-webhook',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toMatchObject({ url: null, cancelledDeliveries: 2 });

    await setWebhookEndpoint(ow.world.db, { tenantId: 'platform-2', url: next.url, secret: next.secret });
    const after = await issue();
    await ow.actioner.lifecycle.runWebhooks();
    await ow.actioner.lifecycle.runWebhooks();

    expect(ordersSeenBy(next)).toEqual([after]);
    expect(next.accepted().map((w) => [w.order.id, w.event])).toEqual([[after, 'order.issued']]);
    // Nor did the cleared endpoint get them: they were cancelled before anything was sent.
    for (const id of queued) expect(ordersSeenBy(ow.receiver)).not.toContain(id);
    // The platform reads each one as cancelled, never attempted.
    for (const id of queued) {
      const res = await call(ow, ow.keys['platform-2'], 'GET', `/v1/orders/${id}/deliveries`);
      expect(res.json<{ deliveries: unknown[] }>().deliveries).toMatchObject([
        { event: 'issued', status: 'cancelled', attempts: [], nextAttemptAt: null },
      ]);
    }
  });

  it('pointed at another receiver, cancels what was queued for the old one; requeue sends it on, signed anew', async () => {
    await setWebhookEndpoint(ow.world.db, {
      tenantId: 'platform-2',
      url: ow.receiver.url,
      secret: ow.receiver.secret,
    });
    const [seenBefore, nextBefore] = [ow.receiver.requests.length, next.requests.length];
    const queued = [await issue(), await issue()];
    const moved = await setWebhookEndpoint(ow.world.db, {
      tenantId: 'platform-2',
      url: next.url,
      secret: next.secret,
    });
    const after = await issue();
    await ow.actioner.lifecycle.runWebhooks();
    await ow.actioner.lifecycle.runWebhooks();
    expect(ordersSeenBy(next).slice(nextBefore)).toEqual([after]);
    expect(ordersSeenBy(next).filter((id) => queued.includes(id))).toEqual([]);
    expect(ordersSeenBy(ow.receiver).slice(seenBefore)).toEqual([]);
    expect(moved).toMatchObject({ previousUrl: ow.receiver.url, cancelledDeliveries: 2 });

    // Asked for, what waits goes to the receiver set next, under its own secret.
    const kept = await issue();
    const back = await setWebhookEndpoint(ow.world.db, {
      tenantId: 'platform-2',
      url: ow.receiver.url,
      secret: ow.receiver.secret,
      requeue: true,
    });
    expect(back).toMatchObject({ cancelledDeliveries: 0, requeuedDeliveries: 1 });
    await ow.actioner.lifecycle.runWebhooks();
    expect(ordersSeenBy(ow.receiver).slice(seenBefore)).toEqual([kept]);
    expect(ow.receiver.requests.slice(seenBefore).map((r) => r.accepted)).toEqual([true]);
    expect(ordersSeenBy(next).slice(nextBefore)).toEqual([after]);
  });
});
