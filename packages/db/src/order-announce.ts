import { randomUUID } from 'node:crypto';
import { Codecs, partnerTopic } from '@mod/contracts';
import {
  blockingRequestFor,
  orderEventFor,
  takedownRequestFor,
  webhookPayload,
  type Order,
  type OrderChange,
} from '@mod/orders';
import { enqueueOutbox } from './outbox.js';
import { enqueueWebhook } from './order-webhooks.js';
import { enqueueFoldedNotices } from './order-folded-notices.js';
import type { Queryable } from './pool.js';

/**
 * Where order messages go: each target's own outbound topics (`mod.blocking-requests.v1.<isp>`,
 * `mod.takedown-requests.v1.<platform>`, `mod.order-events.v1.<target>`), under the deployment's topic prefix, so
 * a partner reading Kafka sees its own orders and no one else's.
 */
export interface OrderTopics {
  prefix: string;
}

/**
 * Enqueues the request a new order sends, in the caller's transaction (order and message commit together):
 * a blocking request on the ISP's topic or a takedown request on the platform's (key: order id), and a signed
 * webhook when the target has an endpoint.
 */
export async function enqueueOrderIssued(
  db: Queryable,
  a: { topics: OrderTopics; order: Order; now: Date },
): Promise<void> {
  const { order } = a;
  if (order.kind === 'blocking')
    await enqueueOutbox(
      db,
      partnerTopic(a.topics.prefix, 'blockingRequests', order.targetTenantId),
      order.id,
      Codecs.blockingRequest.parse(blockingRequestFor(order)),
    );
  else
    await enqueueOutbox(
      db,
      partnerTopic(a.topics.prefix, 'takedownRequests', order.targetTenantId),
      order.id,
      Codecs.takedownRequest.parse(takedownRequestFor(order)),
    );
  await enqueueWebhook(db, {
    tenantId: order.targetTenantId,
    orderId: order.id,
    event: 'issued',
    payload: webhookPayload('issued', order, null, a.now),
    now: a.now,
  });
}

/**
 * Announces a change of an order (status or clock) in the caller's transaction: an event on the order-events
 * topic (key: order id) and, when `notify` names tenants (the target for re-notices and authority actions, the
 * authorities answerable for the order for escalations), a signed webhook to each that has an endpoint. With
 * `notifyFolded` (a change its answerable authorities hear of), the authorities answerable for each live request
 * folded into the order hear of it too, each of its own request (`enqueueFoldedNotices`).
 */
export async function enqueueOrderChange(
  db: Queryable,
  a: OrderChange & { topics: OrderTopics; notify?: readonly string[]; notifyFolded?: boolean },
): Promise<void> {
  const message = orderEventFor({ eventId: randomUUID(), ...a });
  await enqueueOutbox(
    db,
    partnerTopic(a.topics.prefix, 'orderEvents', a.order.targetTenantId),
    a.order.id,
    Codecs.orderEvent.parse(message),
  );
  for (const tenantId of new Set(a.notify ?? [])) {
    await enqueueWebhook(db, {
      tenantId,
      orderId: a.order.id,
      event: a.event,
      payload: webhookPayload(a.event, a.order, a.note, a.now, a.escalationReason),
      now: a.now,
    });
  }
  if (a.notifyFolded === true) await enqueueFoldedNotices(db, a);
}
