import type { Queryable } from './pool.js';

/** Who last set (or cleared) a tenant's order webhook, as its audit record says (`webhook.set`, `webhook.cleared`). */
export interface WebhookChange {
  action: 'webhook.set' | 'webhook.cleared';
  at: string;
  actor: { kind: string; id: string };
  role: string | null;
  tenantId: string | null;
  /** The record's position in the audit log (its proof and export find it by this). */
  seq: number;
}

/** The last attempt to deliver to a tenant's endpoint. */
export interface WebhookLastAttempt {
  at: string;
  /** The receiver answered 2xx. */
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * A tenant's order webhook as an admin reads it: where it points, whether a signing secret is set (never the
 * secret), when it was first set and last changed, who changed it last, and how its deliveries fare.
 */
export interface WebhookOverview {
  tenantId: string;
  tenantKind: string;
  tenantName: string;
  /** null: no endpoint, nothing is pushed to this tenant. */
  url: string | null;
  enabled: boolean;
  secretSet: boolean;
  createdAt: string | null;
  updatedAt: string | null;
  lastChange: WebhookChange | null;
  deliveries: {
    pending: number;
    delivered: number;
    failed: number;
    /** Still queued when the endpoint was cleared or pointed elsewhere: never sent (`clearWebhookEndpoint`). */
    cancelled: number;
    lastDeliveredAt: string | null;
    lastAttempt: WebhookLastAttempt | null;
  };
}

interface Row {
  tenant_id: string;
  kind: string;
  name: string;
  url: string | null;
  enabled: boolean | null;
  secret_set: boolean;
  created_at: Date | null;
  updated_at: Date | null;
  pending: string;
  delivered: string;
  failed: string;
  cancelled: string;
  last_delivered_at: Date | null;
  attempt_at: Date | null;
  status_code: number | null;
  error: string | null;
  change_seq: string | null;
  change: {
    action: 'webhook.set' | 'webhook.cleared';
    time: string;
    actor: { kind: string; id: string };
    role: string | null;
    tenantId: string | null;
  } | null;
}

const toOverview = (r: Row): WebhookOverview => ({
  tenantId: r.tenant_id,
  tenantKind: r.kind,
  tenantName: r.name,
  url: r.url,
  enabled: r.enabled ?? false,
  secretSet: r.secret_set,
  createdAt: r.created_at?.toISOString() ?? null,
  updatedAt: r.updated_at?.toISOString() ?? null,
  lastChange:
    r.change === null || r.change_seq === null
      ? null
      : {
          action: r.change.action,
          at: r.change.time,
          actor: { kind: r.change.actor.kind, id: r.change.actor.id },
          role: r.change.role,
          tenantId: r.change.tenantId,
          seq: Number(r.change_seq),
        },
  deliveries: {
    pending: Number(r.pending),
    delivered: Number(r.delivered),
    failed: Number(r.failed),
    cancelled: Number(r.cancelled),
    lastDeliveredAt: r.last_delivered_at?.toISOString() ?? null,
    lastAttempt:
      r.attempt_at === null
        ? null
        : {
            at: r.attempt_at.toISOString(),
            ok: r.status_code !== null && r.status_code >= 200 && r.status_code < 300,
            statusCode: r.status_code,
            error: r.error,
          },
  },
});

/**
 * The order webhooks of tenants of `kinds`, by tenant id: one tenant (`tenantId`), or a page (`limit` tenants after
 * `after`). Every such tenant is listed, with an endpoint or without (`url` null). The secret is never read: only
 * whether the row that holds it exists (the table requires one of 32 characters or more). The last change comes
 * from the audit log (through migration 0051's partial index on its webhook records alone: the statement's
 * conditions on the record are that index's, keep them as they are), the delivery health from the deliveries and
 * their attempts.
 */
export async function listWebhookOverviews(
  db: Queryable,
  q: { kinds: readonly string[]; tenantId?: string; after?: string; limit: number },
): Promise<WebhookOverview[]> {
  const { rows } = await db.query<Row>(
    `/* api:webhook-overview */ select t.id as tenant_id, t.kind, t.name, e.url, e.enabled,
       e.tenant_id is not null as secret_set, e.created_at, e.updated_at,
       d.pending, d.delivered, d.failed, d.cancelled, d.last_delivered_at,
       a.at as attempt_at, a.status_code, a.error, c.seq as change_seq, c.change
     from tenants t
     left join webhook_endpoints e on e.tenant_id = t.id
     cross join lateral (
       select count(*) filter (where x.status = 'pending') as pending,
         count(*) filter (where x.status = 'delivered') as delivered,
         count(*) filter (where x.status = 'failed') as failed,
         count(*) filter (where x.status = 'cancelled') as cancelled, max(x.delivered_at) as last_delivered_at
       from webhook_deliveries x where x.tenant_id = t.id) d
     left join lateral (
       select w.at, w.status_code, w.error from webhook_attempts w
       join webhook_deliveries x on x.id = w.delivery_id
       where x.tenant_id = t.id order by w.at desc, w.attempt desc limit 1) a on true
     left join lateral (
       select r.seq, r.record::jsonb as change from audit_records r
       where r.record::jsonb ->> 'action' in ('webhook.set', 'webhook.cleared')
         and r.record::jsonb #>> '{subject,type}' = 'tenant' and r.record::jsonb #>> '{subject,id}' = t.id
       order by r.seq desc limit 1) c on true
     where t.kind = any($1::text[]) and ($2::text is null or t.id = $2) and ($3::text is null or t.id > $3)
     order by t.id limit $4`,
    [q.kinds, q.tenantId ?? null, q.after ?? null, q.limit],
  );
  return rows.map(toOverview);
}

/** What clearing a tenant's order webhook did. */
export interface ClearedWebhook {
  /** The URL the endpoint pointed at. */
  url: string;
  /** Deliveries that were still pending for it, now cancelled. */
  cancelledDeliveries: number;
}

/**
 * Removes a tenant's order webhook, secret and all, and cancels what was queued for it (status 'cancelled',
 * `cancelled_at` = `now`): a delivery belongs to the endpoint it was queued for, and the next endpoint set may be
 * another receiver altogether, which must not be sent what was meant for this one. Answers null when there was
 * no endpoint (nothing cancelled). Run it in a transaction with its audit record.
 *
 * Two statements, not one: the delete waits for any transaction queueing a delivery (`enqueueWebhook` holds the
 * endpoint row for share), and only a statement begun after that wait sees what it queued.
 */
export async function clearWebhookEndpoint(
  db: Queryable,
  tenantId: string,
  now: Date,
): Promise<ClearedWebhook | null> {
  const { rows } = await db.query<{ url: string }>(
    `/* orders:clear-webhook */ delete from webhook_endpoints where tenant_id = $1 returning url`,
    [tenantId],
  );
  const url = rows[0]?.url;
  if (url === undefined) return null;
  const cancelled = await db.query(
    `/* orders:cancel-queued-webhooks */ update webhook_deliveries set status = 'cancelled', cancelled_at = $2
     where tenant_id = $1 and status = 'pending'`,
    [tenantId, now],
  );
  return { url, cancelledDeliveries: cancelled.rowCount ?? 0 };
}
