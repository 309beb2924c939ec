import { answerableAuthorities, webhookPayload, type Order, type OrderChange } from '@mod/orders';
import { enqueueWebhook } from './order-webhooks.js';
import { ORDER_SELECT, toOrder, type OrderRow } from './order-rows.js';
import type { Queryable } from './pool.js';

// The authorities behind the requests folded into a shared order hear of it as its own authorities do, each of
// its own request: the target answered one order, but each request is an authority's own order.

/**
 * The live (not withdrawn) requests folded into `sharedId`, each read as its own authority reads it: its own
 * id and issuer with the shared order's lifecycle, and not which order it folds into.
 */
export async function liveFoldedRequests(db: Queryable, sharedId: string, now: Date): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `/* orders:folded-requests */ ${ORDER_SELECT} where o.folded_into = $1 and o.status <> 'withdrawn'
     order by o.created_at, o.id`,
    [sharedId],
  );
  return rows.map((r) => toOrder(r, now, { all: false, authorityTenantId: r.issuer_tenant_id ?? '' }));
}

/**
 * Queues, in the caller's transaction, the webhook of a change of shared order `order` to every authority
 * answerable for a live request folded into it (`answerableAuthorities` of the request: its issuer and its
 * confirmer), once per authority and request, naming the request's own id. Committed with the change it
 * announces, so a repeated report that changes nothing (an idempotent acknowledgement) queues nothing again.
 * Returns how many were queued (an authority without an enabled endpoint is queued nothing).
 */
export async function enqueueFoldedNotices(
  db: Queryable,
  a: Pick<OrderChange, 'order' | 'event' | 'note' | 'now' | 'escalationReason'>,
): Promise<number> {
  if (a.order.folded) return 0;
  let queued = 0;
  for (const request of await liveFoldedRequests(db, a.order.id, a.now)) {
    for (const tenantId of answerableAuthorities(request)) {
      const id = await enqueueWebhook(db, {
        tenantId,
        orderId: request.id,
        event: a.event,
        payload: webhookPayload(a.event, request, a.note, a.now, a.escalationReason),
        now: a.now,
      });
      if (id !== null) queued++;
    }
  }
  return queued;
}
