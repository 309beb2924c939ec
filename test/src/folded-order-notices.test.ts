import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '@mod/db/orders';
import {
  addTenantWithReceiver,
  call,
  startOrdersWorld,
  type OrdersWorld,
  type WebhookReceiver,
} from './orders-helpers.js';

// Two authorities order the same URL blocked at one ISP: the second's request is folded into the first's order,
// and the ISP receives one blocking request. When the ISP acknowledges and applies it, each authority hears of it
// on its own webhook, once, naming its own order; an acknowledgement sent again tells nobody again. API and
// actioner (its SSRF-safe sender) on the real broker and PostgreSQL; both receivers on 127.0.0.1.

let ow: OrdersWorld;
let second: WebhookReceiver;
let secondKey: string;

beforeAll(async () => {
  ow = await startOrdersWorld();
  ({ key: secondKey, receiver: second } = await addTenantWithReceiver(ow, {
    id: 'authority-2',
    role: 'authority',
  }));
});
afterAll(async () => {
  await second?.close();
  await ow?.close();
});

const orderBlocking = async (key: string, url: string): Promise<Order> => {
  const res = await call(ow, key, 'POST', '/v1/orders', {
    kind: 'blocking',
    targetTenantId: 'isp-1',
    subject: { type: 'url', value: url },
    legalBasisId: 'vn-decree-147-request',
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>();
};

const applied = (key: string, id: string) =>
  ow.app.inject({
    method: 'POST',
    url: `/v1/isp/blocking-requests/${id}/acknowledgements`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ status: 'applied' }),
  });

/** What a receiver accepted about the given orders: [order id, event, status], in the order received. */
const heard = (receiver: WebhookReceiver, ids: readonly string[]) =>
  receiver
    .accepted()
    .filter((w) => ids.includes(w.order.id))
    .map((w) => [w.order.id, w.event, w.order.status]);

const sendWebhooks = async () => {
  await ow.actioner.lifecycle.runWebhooks();
  await ow.actioner.lifecycle.runWebhooks();
};

describe('a blocking request folded into another authority’s order', () => {
  it('hears of the ISP’s acknowledgement and application as the order’s own authority does', async () => {
    const url = 'https://blocked.example/folded/1';
    const first = await orderBlocking(ow.keys['authority-1'], url);
    const folded = await orderBlocking(secondKey, url);
    expect([first.folded, folded.folded]).toEqual([false, true]);
    const ids = [first.id, folded.id];

    const acknowledged = await call(ow, ow.keys['isp-1'], 'POST', `/v1/orders/${first.id}/acknowledge`);
    expect(acknowledged.statusCode, acknowledged.body).toBe(200);
    expect((await applied(ow.keys['isp-1'], first.id)).statusCode).toBe(201);
    await sendWebhooks();
    // Sent again (a retry of the ISP's client): recorded once, nobody told again.
    const again = await applied(ow.keys['isp-1'], first.id);
    expect(again.json()).toMatchObject({ duplicate: true });
    await sendWebhooks();

    expect(heard(ow.receiver, ids)).toEqual([
      [first.id, 'order.acknowledged', 'acknowledged'],
      [first.id, 'order.actioned', 'actioned'],
    ]);
    expect(heard(second, ids)).toEqual([
      [folded.id, 'order.acknowledged', 'acknowledged'],
      [folded.id, 'order.actioned', 'actioned'],
    ]);
    // Each delivery once: no delivery id was sent twice.
    const deliveries = second.accepted().map((w) => w.deliveryId);
    expect(new Set(deliveries).size).toBe(deliveries.length);

    // The second authority reads its own order as applied, and its own deliveries as delivered.
    const mine = await call(ow, secondKey, 'GET', `/v1/orders/${folded.id}`);
    expect(mine.json<Order>()).toMatchObject({
      id: folded.id,
      status: 'actioned',
      folded: true,
      foldedInto: null,
    });
    expect(mine.json<Order>().actionedAt).not.toBeNull();
    const sent = await call(ow, secondKey, 'GET', `/v1/orders/${folded.id}/deliveries`);
    expect(sent.json<{ deliveries: { event: string; status: string }[] }>().deliveries).toMatchObject([
      { event: 'acknowledged', status: 'delivered' },
      { event: 'actioned', status: 'delivered' },
    ]);
  });

  it('is told nothing once withdrawn', async () => {
    const url = 'https://blocked.example/folded/2';
    const first = await orderBlocking(ow.keys['authority-1'], url);
    const folded = await orderBlocking(secondKey, url);
    const withdrawn = await call(ow, secondKey, 'POST', `/v1/orders/${folded.id}/withdraw`, {
      reason: 'no longer needed',
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect((await applied(ow.keys['isp-1'], first.id)).statusCode).toBe(201);
    await sendWebhooks();
    expect(heard(ow.receiver, [first.id])).toEqual([[first.id, 'order.actioned', 'actioned']]);
    expect(heard(second, [folded.id])).toEqual([]);
  });

  it('hears of the escalation of the order it is folded into, once, as its own', async () => {
    const url = 'https://blocked.example/folded/3';
    const first = await orderBlocking(ow.keys['authority-1'], url);
    const folded = await orderBlocking(secondKey, url);
    ow.clock.advance(Date.parse(first.deadlineAt) - ow.clock.now().getTime() + 1000);
    await ow.actioner.lifecycle.runClock();
    await ow.actioner.lifecycle.runClock();
    await sendWebhooks();
    expect(heard(ow.receiver, [first.id]).filter(([, e]) => e === 'order.escalated')).toHaveLength(1);
    expect(heard(second, [folded.id]).filter(([, e]) => e === 'order.escalated')).toEqual([
      [folded.id, 'order.escalated', expect.any(String)],
    ]);
    const mine = await call(ow, secondKey, 'GET', `/v1/orders/${folded.id}`);
    expect(mine.json<Order>().clock.escalatedAt).not.toBeNull();
  });
});
