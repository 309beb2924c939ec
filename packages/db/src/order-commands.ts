import {
  applyOrderCommandUnderFolding,
  FOLD_ACTOR,
  type Order,
  type OrderCommand,
  type OrderStatus,
} from '@mod/orders';
import { getOrder } from './order-reads.js';
import { clockOf, type OrderRow } from './order-rows.js';
import { orderScopeArgs, orderScopeWhere, type OrderScope } from './order-scope.js';
import type { Queryable } from './pool.js';

// Commanding an order: one lifecycle command under lock, with the folding rules and the promotion of a folded
// request when its shared order is withdrawn.

/**
 * Outcome of `commandOrder`: the order after the change, or why it did not apply (or that it is not visible).
 * A refusal may carry a `code`: `folded` (the command does not apply to a folded request: only withdrawal
 * does), `bound` (it would move the deadline of a shared order past the deadline of a request folded into it,
 * or stop its clock: the binding deadline rule of `issueOrderRequest`).
 */
export type OrderCommandOutcome =
  | {
      ok: true;
      order: Order;
      event: string;
      before: OrderStatus;
      /**
       * Withdrawing a shared order promotes the live request folded into it with the earliest deadline to an
       * order of its own (the caller sends it to the target); null when there was none.
       */
      promoted: Order | null;
    }
  | { ok: false; notFound: true }
  | { ok: false; notFound: false; reason: string; code?: 'folded' | 'bound'; order: Order };

/** The earliest requested deadline of the live requests folded into `primaryId` (null: none). */
async function bindingDeadline(db: Queryable, primaryId: string): Promise<Date | null> {
  const { rows } = await db.query<{ binding: Date | null }>(
    `/* orders:binding-deadline */ select min(deadline_at) as binding from orders
     where folded_into = $1 and status <> 'withdrawn'`,
    [primaryId],
  );
  return rows[0]?.binding ?? null;
}

/**
 * After `primaryId` was withdrawn: the live request folded into it with the earliest deadline becomes an order
 * of its own (its own deadline, a fresh notice clock), and the other live requests fold into it. Returns the
 * promoted order's id, or null when no request was folded into the withdrawn one.
 */
async function promoteFoldedRequest(db: Queryable, primaryId: string, now: Date): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    `/* orders:promote-folded */ select id from orders where folded_into = $1 and status <> 'withdrawn'
     order by deadline_at, created_at, id limit 1 for update`,
    [primaryId],
  );
  const next = rows[0]?.id;
  if (next === undefined) return null;
  await db.query(
    `/* orders:promote-folded */ update orders set folded_into = null, status = 'issued', updated_at = $2,
       next_notice_at = $2::timestamptz + renotice_interval_ms * interval '1 millisecond', notices_sent = 1
     where id = $1`,
    [next, now],
  );
  await db.query(
    `/* orders:refold */ update orders set folded_into = $2, updated_at = $3
     where folded_into = $1 and status <> 'withdrawn'`,
    [primaryId, next, now],
  );
  await db.query(
    `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at)
     values ($1, 'promoted', $2, 'the order this request was folded into was withdrawn: it now stands as its own order', $3)`,
    [next, FOLD_ACTOR, now],
  );
  return next;
}

/**
 * Applies one lifecycle command to an order inside the caller's transaction: locks the row, runs the pure
 * machine under the folding rules (`applyOrderCommandUnderFolding`, `@mod/orders`), writes the new state and a
 * history event at `now`. The caller audits in the same transaction. An order outside `scope` is reported as not
 * found. The returned order is as `scope` reads it.
 *
 * Folding (`issueOrderRequest`): a folded request takes only `withdraw`, which withdraws that request alone
 * (nothing reaches the target). On a shared order, the binding deadline rule holds: `extend` past the earliest
 * deadline of a live folded request and `pause` are refused (`bound`), `resume` moves the deadline on by the
 * time paused but never past that deadline, and `withdraw` promotes a folded request (`promoted`).
 */
export async function commandOrder(
  db: Queryable,
  a: {
    id: string;
    scope: OrderScope;
    command: OrderCommand;
    now: Date;
    actor: string;
    /** The acting tenant (recorded as the confirming tenant by a confirmation); null for services. */
    actorTenantId?: string | null;
  },
): Promise<OrderCommandOutcome> {
  const view = async (id: string): Promise<Order> => {
    const order = await getOrder(db, id, a.scope, a.now);
    if (order === null) throw new Error('order vanished inside its own transaction');
    return order;
  };
  let row: (OrderRow & { primary_status: OrderStatus | null }) | undefined;
  for (let attempt = 0; row === undefined; attempt++) {
    // Lock order: a shared order before the requests folded into it (as folding and promotion do).
    const { rows: link } = await db.query<{ folded_into: string | null }>(
      `/* orders:lock-order */ select folded_into from orders where id = $1`,
      [a.id],
    );
    const primaryId = link[0]?.folded_into ?? null;
    let primaryStatus: OrderStatus | null = null;
    if (primaryId !== null) {
      const { rows: p } = await db.query<{ status: OrderStatus }>(
        `/* orders:lock-order */ select status from orders where id = $1 for update`,
        [primaryId],
      );
      primaryStatus = p[0]?.status ?? null;
    }
    const { rows } = await db.query<OrderRow>(
      `/* orders:lock-order */ select o.* from orders o where o.id = $1 and ${orderScopeWhere(2, 3)} for update`,
      [a.id, ...orderScopeArgs(a.scope)],
    );
    const found = rows[0];
    if (found === undefined) return { ok: false, notFound: true };
    // Promoted or re-folded between the two reads: lock again in the right order.
    if (found.folded_into === primaryId) row = { ...found, primary_status: primaryStatus };
    else if (attempt > 2) throw new Error('order kept moving between shared orders');
  }
  const refuse = async (reason: string, code?: 'folded' | 'bound'): Promise<OrderCommandOutcome> => ({
    ok: false,
    notFound: false,
    reason,
    ...(code === undefined ? {} : { code }),
    order: await view(row.id),
  });

  const folded = row.folded_into !== null;
  // A shared order's binding deadline is read only for orders of their own (a folded request has none).
  const result = applyOrderCommandUnderFolding(
    clockOf(row),
    a.command,
    a.now,
    folded
      ? { folded: true, sharedStatus: row.primary_status }
      : { folded: false, bindingDeadline: await bindingDeadline(db, row.id) },
  );
  if (!result.ok) return refuse(result.reason, result.code);
  const s = result.state;
  await db.query(
    `/* orders:apply-command */ update orders set status = $2, deadline_at = $3, next_notice_at = $4,
       notices_sent = $5, paused_at = $6, escalated_at = $7, confirmed_at = $8,
       confirmed_by = case when $8::timestamptz is not null and confirmed_at is null then $9 else confirmed_by end,
       confirmed_by_tenant_id = case when $8::timestamptz is not null and confirmed_at is null then $17
         else confirmed_by_tenant_id end,
       delivered_at = $10, acknowledged_at = $11, actioned_at = $12, verified_at = $13, closed_at = $14,
       verification_failures = $15, updated_at = $16, escalation_reason = $18
     where id = $1`,
    [
      row.id,
      s.status,
      s.deadlineAt,
      s.nextNoticeAt,
      s.noticesSent,
      s.pausedAt,
      s.escalatedAt,
      s.confirmedAt,
      a.actor,
      s.deliveredAt,
      s.acknowledgedAt,
      s.actionedAt,
      s.verifiedAt,
      s.closedAt,
      s.verificationFailures,
      a.now,
      a.actorTenantId ?? null,
      s.escalationReason,
    ],
  );
  await db.query(
    `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at, escalation_reason)
     values ($1, $2, $3, $4, $5, $6)`,
    [row.id, result.event, a.actor, result.note, a.now, result.escalationReason ?? null],
  );
  const promotedId =
    !folded && s.status === 'withdrawn' ? await promoteFoldedRequest(db, row.id, a.now) : null;
  const promoted = promotedId === null ? null : await getOrder(db, promotedId, { all: true }, a.now);
  return { ok: true, order: await view(row.id), event: result.event, before: row.status, promoted };
}
