import { enqueueOrderChange, type OrderTopics } from './order-announce.js';
import { answerableAuthorities, type OrderCommand, type OrderStatus } from '@mod/orders';
import { commandOrder } from './order-commands.js';
import type { Queryable } from './pool.js';

/** What an ISP reports about one blocking request. */
export const IspAckStatuses = ['applied', 'failed'] as const;
export type IspAckStatus = (typeof IspAckStatuses)[number];

export interface IspAcknowledgement {
  orderId: string;
  ispTenantId: string;
  status: IspAckStatus;
  /** Required for `failed`: why the ISP could not apply the block. Optional note for `applied`. */
  reason: string | null;
  /** How the order's history and its announcement name the caller (the API's `actorLabelOf`). */
  actor: string;
  /** Time of the report (the lifecycle's clock). */
  now: Date;
  /** Where order changes are announced (through the outbox). */
  topics: OrderTopics;
}

/** The order-history event each acknowledgement records (the lifecycle's own event names). */
export const ACK_EVENT_STATUS: Readonly<Record<IspAckStatus, string>> = {
  applied: 'actioned',
  failed: 'action-failed',
};

/** The audit action of each acknowledgement (dotted lowercase words, no hyphen). */
export const ACK_AUDIT_ACTION: Readonly<Record<IspAckStatus, string>> = {
  applied: 'order.applied',
  failed: 'order.apply_failed',
};

/** Note recorded with an `applied` acknowledgement that carries none. */
export const APPLIED_DEFAULT_NOTE = 'block applied by the ISP';

/** Outcome of {@link recordIspAcknowledgement}. */
export type IspAckOutcome =
  /** No blocking order with this id is addressed to the ISP (answer 404, leaking nothing). */
  | { kind: 'not-found' }
  /** The order's state does not allow it (e.g. withdrawn): nothing was recorded. */
  | { kind: 'invalid-transition'; reason: string; orderStatus: OrderStatus }
  /**
   * Recorded (`duplicate: false`), or the order already reflects this very acknowledgement (`duplicate: true`:
   * nothing new was written; `at` is when it was first recorded).
   */
  | {
      kind: 'recorded';
      duplicate: boolean;
      orderId: string;
      event: string;
      /** The order's status before (for a duplicate, as after: nothing changed). */
      from: OrderStatus;
      orderStatus: OrderStatus;
      at: string;
    };

/**
 * Records an ISP's acknowledgement of a blocking request through the order lifecycle, in the caller's
 * transaction: `applied` is the target's `action` command (the order becomes `actioned`), `failed` is
 * `report-failure` (the order becomes `reopened`: the block is owed again, a re-notice follows and the deadline
 * still escalates). Each change is announced on the order-events topic (and to the webhooks of the authorities
 * answerable for the order, `answerableAuthorities`, and of every request folded into it, each of its own id, as
 * the order routes' answers are). The caller audits a
 * recorded one (`ACK_AUDIT_ACTION`) in the same transaction, in the name of whoever sent it, as it audits the
 * order routes' answers.
 *
 * Idempotent: an `applied` on an order that is already actioned (or verified), or a `failed` repeating the
 * latest failure report with the same reason on a still-reopened order, writes nothing and answers the earlier
 * record. Concurrent reports serialise on the order's row lock.
 */
export async function recordIspAcknowledgement(
  db: Queryable,
  ack: IspAcknowledgement,
): Promise<IspAckOutcome> {
  const { rows } = await db.query<{ status: OrderStatus; actioned_at: Date | null }>(
    `/* api:ack-lock-order */ select status, actioned_at from orders
     where id = $1 and kind = 'blocking' and target_tenant_id = $2 and folded_into is null for update`,
    [ack.orderId, ack.ispTenantId],
  );
  const order = rows[0];
  if (order === undefined) return { kind: 'not-found' };
  const event = ACK_EVENT_STATUS[ack.status];

  const duplicate = await findDuplicate(db, ack, order);
  if (duplicate !== null) {
    return {
      kind: 'recorded',
      duplicate: true,
      orderId: ack.orderId,
      event,
      from: order.status,
      orderStatus: order.status,
      at: duplicate.toISOString(),
    };
  }

  const command: OrderCommand =
    ack.status === 'applied'
      ? { type: 'action', note: ack.reason ?? APPLIED_DEFAULT_NOTE }
      : { type: 'report-failure', reason: ack.reason ?? 'no reason given' };
  const { actor } = ack;
  const r = await commandOrder(db, {
    id: ack.orderId,
    scope: { all: false, targetTenantId: ack.ispTenantId },
    command,
    now: ack.now,
    actor,
  });
  if (!r.ok && r.notFound) return { kind: 'not-found' };
  if (!r.ok) return { kind: 'invalid-transition', reason: r.reason, orderStatus: r.order.status };
  const note = command.type === 'action' ? command.note : command.reason;
  await enqueueOrderChange(db, {
    topics: ack.topics,
    order: r.order,
    event: r.event,
    actor,
    note,
    now: ack.now,
    notify: answerableAuthorities(r.order),
    notifyFolded: true,
  });
  return {
    kind: 'recorded',
    duplicate: false,
    orderId: ack.orderId,
    event: r.event,
    from: r.before,
    orderStatus: r.order.status,
    at: ack.now.toISOString(),
  };
}

/** When the order already reflects this acknowledgement: the time it was recorded; else null. */
async function findDuplicate(
  db: Queryable,
  ack: IspAcknowledgement,
  order: { status: OrderStatus; actioned_at: Date | null },
): Promise<Date | null> {
  if (ack.status === 'applied') {
    if (order.status !== 'actioned' && order.status !== 'verified') return null;
    return order.actioned_at ?? new Date();
  }
  if (order.status !== 'reopened') return null;
  // The event that made the order reopened (clock events such as re-notices may have followed it).
  const { rows } = await db.query<{ status: string; note: string | null; at: Date }>(
    `/* api:ack-last-event */ select status, note, at from order_events
     where order_id = $1 and status in ('action-failed', 'reopened') order by id desc limit 1`,
    [ack.orderId],
  );
  const last = rows[0];
  return last !== undefined && last.status === ACK_EVENT_STATUS.failed && last.note === ack.reason
    ? last.at
    : null;
}
