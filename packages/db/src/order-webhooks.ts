import { randomBytes, randomUUID } from 'node:crypto';
import { traceparentOf } from '@mod/telemetry/trace-context';
import { withTransaction, type Pool, type Queryable } from './pool.js';

/** Where a target wants its orders pushed. The secret signs every request (HMAC-SHA256). */
export interface WebhookEndpoint {
  tenantId: string;
  url: string;
  secret: string;
  enabled: boolean;
}

/** What setting an endpoint did to the deliveries queued for the one before (`setWebhookEndpoint`). */
export interface SetWebhookResult extends WebhookEndpoint {
  /** The URL the endpoint had before; null: it had none. */
  previousUrl: string | null;
  /** Deliveries still queued for the previous URL, cancelled because the URL changed (never sent to the new one). */
  cancelledDeliveries: number;
  /** Deliveries still queued for the previous URL that go to the new one instead, as asked (`requeue`). */
  requeuedDeliveries: number;
}

/**
 * Sets a tenant's webhook endpoint; returns the signing secret (a fresh random one unless given). The secret is
 * shown to the tenant once; it stays in the database only because signing needs it. The URL is stored as given:
 * the API vets it first (https, a name resolving to public addresses only), and every delivery vets it again.
 *
 * A delivery belongs to the URL it was queued for: when the URL changes, what is still pending is cancelled (as a
 * clear does, `clearWebhookEndpoint`), never sent to the new URL, which may be another receiver altogether,
 * unless `requeue` asks for it to go there (signed with the new secret), counted either way. The same URL set
 * again (a new secret, enabled or not) keeps what is queued. Call it in a transaction: the endpoint row is locked
 * first, so a queueing transaction (`enqueueWebhook` holds the row for share) either commits before and is
 * counted here, or waits and queues for the new URL.
 */
export async function setWebhookEndpoint(
  db: Queryable,
  e: { tenantId: string; url: string; secret?: string; enabled?: boolean; requeue?: boolean; now?: Date },
): Promise<SetWebhookResult> {
  const secret = e.secret ?? randomBytes(32).toString('base64url');
  const before = await db.query<{ url: string }>(
    `/* orders:lock-webhook */ select url from webhook_endpoints where tenant_id = $1 for update`,
    [e.tenantId],
  );
  const previousUrl = before.rows[0]?.url ?? null;
  await db.query(
    `/* orders:set-webhook */ insert into webhook_endpoints (tenant_id, url, secret, enabled) values ($1, $2, $3, $4)
     on conflict (tenant_id) do update set url = excluded.url, secret = excluded.secret, enabled = excluded.enabled,
       updated_at = now()`,
    [e.tenantId, e.url, secret, e.enabled ?? true],
  );
  let cancelledDeliveries = 0;
  let requeuedDeliveries = 0;
  if (previousUrl !== e.url) {
    // A statement of its own, so that it sees what a queueing transaction the lock waited for committed.
    if (e.requeue === true) {
      const { rows } = await db.query<{ n: number }>(
        `/* orders:count-requeued-webhooks */ select count(*)::int as n from webhook_deliveries
         where tenant_id = $1 and status = 'pending'`,
        [e.tenantId],
      );
      requeuedDeliveries = rows[0]?.n ?? 0;
    } else {
      const cancelled = await db.query(
        `/* orders:cancel-repointed-webhooks */ update webhook_deliveries
         set status = 'cancelled', cancelled_at = coalesce($2::timestamptz, now())
         where tenant_id = $1 and status = 'pending'`,
        [e.tenantId, e.now ?? null],
      );
      cancelledDeliveries = cancelled.rowCount ?? 0;
    }
  }
  return {
    tenantId: e.tenantId,
    url: e.url,
    secret,
    enabled: e.enabled ?? true,
    previousUrl,
    cancelledDeliveries,
    requeuedDeliveries,
  };
}

export async function getWebhookEndpoint(db: Queryable, tenantId: string): Promise<WebhookEndpoint | null> {
  const { rows } = await db.query<WebhookEndpoint>(
    `/* orders:get-webhook */ select tenant_id as "tenantId", url, secret, enabled from webhook_endpoints
     where tenant_id = $1`,
    [tenantId],
  );
  return rows[0] ?? null;
}

/**
 * Queues a webhook message for the target of an order, inside the caller's transaction (committed with the
 * change it announces). Nothing is queued when the tenant has no enabled endpoint, or is switched off (no longer
 * a partner: its URL may no longer be its own). The endpoint row is held for share until the caller commits, so
 * that a clear (`clearWebhookEndpoint`) either comes first (nothing queued) or waits and then cancels this
 * delivery with the rest. Returns the delivery id.
 */
export async function enqueueWebhook(
  db: Queryable,
  w: { tenantId: string; orderId: string; event: string; payload: unknown; now: Date },
): Promise<string | null> {
  const id = randomUUID();
  const { rowCount } = await db.query(
    `/* orders:enqueue-webhook */ insert into webhook_deliveries (id, tenant_id, order_id, event, payload,
       next_attempt_at, created_at, traceparent)
     select $1, $2, $3, $4, $5, $6, $6, $7 from webhook_endpoints e join tenants t on t.id = e.tenant_id
     where e.tenant_id = $2 and e.enabled and t.disabled_at is null for share of e`,
    [id, w.tenantId, w.orderId, w.event, JSON.stringify(w.payload), w.now, traceparentOf()],
  );
  return rowCount === 1 ? id : null;
}

/** A delivery claimed for one attempt, with what is needed to send it. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  orderId: string;
  event: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
  /** The trace the delivery was queued in (each attempt is a span of it). */
  traceparent: string | null;
}

/**
 * Claims up to `limit` due deliveries for one attempt each: their next attempt moves `leaseMs` ahead, so a
 * worker that dies mid-request leaves them to be retried after the lease (receivers dedupe by delivery id).
 * At most `perTenant` (default: no cap) go to one tenant: its earliest queued, so that one tenant's backlog
 * neither fills the claim nor outlasts its lease when sent one after the other to a receiver that answers
 * slowly; the claim takes each tenant's first, then each one's second, and so on. Only tenants whose endpoint
 * is enabled, and who are not switched off, are claimed for: a tenant that turns its endpoint off, or that an
 * admin switches off, is sent nothing more, not even what was queued before (its URL may no longer be its own);
 * what waits stays pending, untried, and goes out once it is on again.
 *
 * One order's messages to one tenant go in the order they were queued, so a receiver acting on the last one
 * it got never sees `order.withdrawn` and then the `order.issued` it replaced: a message is not claimed while
 * an earlier one of its order is pending and not due (waiting for its retry, or claimed by another worker),
 * and the deliveries come back in queue order, for the sender to send one after the other, stopping an order's
 * chain at its first retry ({@link releaseWebhook}). Claims are serialised (one transaction-scoped advisory
 * lock per schema), so two workers never split one order's due messages between them.
 */
export async function claimDueWebhooks(
  db: Pool,
  a: { now: Date; leaseMs: number; limit: number; perTenant?: number },
): Promise<ClaimedDelivery[]> {
  return withTransaction(db, async (c) => {
    await c.query(`/* actioner:claim-webhooks-lock */ select pg_advisory_xact_lock(hashtext('mod-webhook-claim:' ||
      current_schema()))`);
    // `for update` does not go with a window function: rank first, then lock what is still due (a row another
    // worker claimed meanwhile is re-checked against the condition, or skipped while locked).
    const { rows } = await c.query<ClaimedDelivery>(
      `/* actioner:claim-webhooks */ with ranked as (
         select d.id, d.queued, row_number() over (partition by d.tenant_id order by d.queued) as rank
         from webhook_deliveries d join webhook_endpoints e on e.tenant_id = d.tenant_id and e.enabled
           join tenants t on t.id = d.tenant_id and t.disabled_at is null
         where d.status = 'pending' and d.next_attempt_at <= $1
           and not exists (select 1 from webhook_deliveries p where p.tenant_id = d.tenant_id
                             and p.order_id = d.order_id and p.status = 'pending' and p.queued < d.queued
                             and p.next_attempt_at > $1)
       ), due as (
         select d.id from webhook_deliveries d
         where d.id in (select r.id from ranked r where $4::int is null or r.rank <= $4::int
                        order by r.rank, r.queued limit $3)
           and d.status = 'pending' and d.next_attempt_at <= $1
         order by d.queued for update skip locked
       ), claimed as (
         update webhook_deliveries d set next_attempt_at = $1::timestamptz + make_interval(secs => $2::float8 / 1000)
         from due, webhook_endpoints e, tenants t where d.id = due.id and e.tenant_id = d.tenant_id and e.enabled
           and t.id = d.tenant_id and t.disabled_at is null
         returning d.id, d.tenant_id as "tenantId", d.order_id as "orderId", d.event, d.payload, d.attempts,
           e.url, e.secret, d.traceparent, d.queued
       )
       select id, "tenantId", "orderId", event, payload, attempts, url, secret, traceparent from claimed
       order by queued`,
      [a.now, a.leaseMs, a.limit, a.perTenant ?? null],
    );
    return rows;
  });
}

/**
 * Gives back a claimed delivery that was not sent because an earlier message of its order is to be retried:
 * due again at `now`, no attempt counted. It is claimed again with that message, after it.
 */
export async function releaseWebhook(db: Queryable, a: { deliveryId: string; now: Date }): Promise<void> {
  await db.query(
    `/* actioner:release-webhook */ update webhook_deliveries set next_attempt_at = $2
     where id = $1 and status = 'pending'`,
    [a.deliveryId, a.now],
  );
}

/**
 * Records one attempt and the delivery's next state: delivered, retried at `retryAt`, or failed for good
 * (`retryAt` null after a failed attempt). A delivery cancelled while its attempt was under way (its endpoint
 * cleared) stays cancelled, the attempt recorded: it is never retried, to that endpoint or the next.
 */
export async function recordWebhookAttempt(
  db: Queryable,
  a: {
    deliveryId: string;
    at: Date;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    delivered: boolean;
    retryAt: Date | null;
  },
): Promise<void> {
  await db.query(
    `/* actioner:webhook-attempt */ with d as (
       update webhook_deliveries set attempts = attempts + 1,
         status = case when status = 'cancelled' then status when $6 then 'delivered'
                       when $7::timestamptz is null then 'failed' else 'pending' end,
         delivered_at = case when $6 and status <> 'cancelled' then $2::timestamptz else delivered_at end,
         next_attempt_at = coalesce($7::timestamptz, next_attempt_at)
       where id = $1 returning attempts
     )
     insert into webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
     select $1, attempts, $2, $3, $4, $5 from d`,
    [a.deliveryId, a.at, a.statusCode, a.error, Math.round(a.durationMs), a.delivered, a.retryAt],
  );
}

/** One attempt of a webhook delivery (stored as JSON in the delivery's row). */
export interface WebhookAttemptView {
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A delivery and each of its attempts, as shown to the order's parties. */
export interface WebhookDeliveryView {
  id: string;
  event: string;
  /** cancelled: still queued when its endpoint was cleared or pointed elsewhere (never sent to the next URL). */
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: WebhookAttemptView[];
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/**
 * The deliveries of an order's messages, each with its attempts: to every tenant (`tenantId` null: oversight,
 * services), or only those addressed to `tenantId`. A party to an order reads its own deliveries only: another
 * party's endpoint, its failures and the addresses its name resolved to are that party's business.
 */
export async function listWebhookDeliveries(
  db: Queryable,
  orderId: string,
  tenantId: string | null = null,
): Promise<WebhookDeliveryView[]> {
  const { rows } = await db.query<{
    id: string;
    event: string;
    status: 'pending' | 'delivered' | 'failed' | 'cancelled';
    next_attempt_at: Date;
    delivered_at: Date | null;
    created_at: Date;
    attempts: WebhookAttemptView[];
  }>(
    `/* api:webhook-deliveries */ select d.id, d.event, d.status, d.next_attempt_at, d.delivered_at, d.created_at,
       coalesce((select json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'statusCode', a.status_code,
         'error', a.error, 'durationMs', a.duration_ms) order by a.attempt) from webhook_attempts a
         where a.delivery_id = d.id), '[]') as attempts
     from webhook_deliveries d where d.order_id = $1 and ($2::text is null or d.tenant_id = $2)
     order by d.queued`,
    [orderId, tenantId],
  );
  return rows.map((r) => ({
    id: r.id,
    event: r.event,
    status: r.status,
    attempts: r.attempts.map((x) => ({ ...x, at: new Date(x.at).toISOString() })),
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  }));
}
