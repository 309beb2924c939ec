import { appendAudit } from './audit.js';
import type { Queryable } from './pool.js';

/** What an ISP reports about one blocking request. */
export const IspAckStatuses = ['applied', 'failed'] as const;
export type IspAckStatus = (typeof IspAckStatuses)[number];

export interface IspAcknowledgement {
  orderId: string;
  ispTenantId: string;
  status: IspAckStatus;
  /** Required for `failed`: why the ISP could not apply the block. */
  reason: string | null;
  /** Who reported it (API key id). */
  actorId: string;
}

/** The order event recorded for an acknowledgement (the orders lifecycle reads these). */
export const ACK_EVENT_STATUS: Readonly<Record<IspAckStatus, string>> = {
  applied: 'applied',
  failed: 'apply-failed',
};

/**
 * Records an ISP's acknowledgement of a blocking request on the order: an `order_events` row (`applied` or
 * `apply-failed` with the reason) and an audit record, in the caller's transaction. Returns null when no
 * blocking order with this id is addressed to the ISP (so the caller answers 404, leaking nothing).
 */
export async function recordIspAcknowledgement(
  db: Queryable,
  ack: IspAcknowledgement,
): Promise<{ orderId: string; status: string; at: string } | null> {
  const { rows } = await db.query<{ id: string }>(
    `/* api:ack-lock-order */ select id from orders where id = $1 and kind = 'blocking' and target_tenant_id = $2
     for update`,
    [ack.orderId, ack.ispTenantId],
  );
  if (rows.length === 0) return null;
  const status = ACK_EVENT_STATUS[ack.status];
  const event = await db.query<{ at: Date }>(
    `/* api:ack-event */ insert into order_events (order_id, status, actor, note) values ($1, $2, $3, $4)
     returning at`,
    [ack.orderId, status, `isp:${ack.ispTenantId}:${ack.actorId}`, ack.reason],
  );
  await db.query(`/* api:ack-touch-order */ update orders set updated_at = now() where id = $1`, [
    ack.orderId,
  ]);
  await appendAudit(db, {
    actor: { kind: 'user', id: ack.actorId },
    role: 'isp',
    tenantId: ack.ispTenantId,
    // Audit actions are dotted lowercase words (no hyphen).
    action: ack.status === 'applied' ? 'order.applied' : 'order.apply_failed',
    subject: { type: 'order', id: ack.orderId },
    reason: ack.reason,
  });
  const at = event.rows[0]?.at ?? new Date();
  return { orderId: ack.orderId, status, at: at.toISOString() };
}
