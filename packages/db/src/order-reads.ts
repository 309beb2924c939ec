import type { Order, OrderKind, SubjectType } from '@mod/orders';
import { EFFECTIVE_STATUS, ORDER_SELECT, toOrder, type OrderRow } from './order-rows.js';
import { orderScopeArgs, orderScopeWhere, type OrderScope } from './order-scope.js';
import { queryOne, type Queryable } from './pool.js';
import { keysetArgs, keysetPage } from './keyset.js';

// Reading orders: one, a page, and the work the actioner's scheduler and verifier owe.

export async function getOrder(
  db: Queryable,
  id: string,
  scope: OrderScope,
  now: Date = new Date(),
): Promise<Order | null> {
  return queryOne(
    db,
    `/* api:get-order */ ${ORDER_SELECT} where o.id = $1 and ${orderScopeWhere(2, 3)}`,
    [id, ...orderScopeArgs(scope)],
    (r: OrderRow) => toOrder(r, now, scope),
  );
}

export interface OrderListQuery {
  scope: OrderScope;
  /** Time `overdue` is judged at. Default: now. */
  now?: Date;
  kind?: OrderKind;
  status?: string;
  submissionId?: string;
  /** Page size, capped by the caller. */
  limit: number;
  /** Keyset cursor: created_at + id of the last row of the previous page. */
  after?: { createdAt: string; id: string };
}

export async function listOrders(db: Queryable, q: OrderListQuery): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `/* api:list-orders */ ${ORDER_SELECT}
     where ${orderScopeWhere(1, 8)} and ($2::text is null or o.kind = $2)
       and ($3::text is null or ${EFFECTIVE_STATUS} = $3) and ($4::uuid is null or exists (select 1 from order_submissions l where l.order_id = o.id and l.submission_id = $4))
       and ${keysetPage({ table: 'orders', alias: 'o', time: 'created_at', id: 'id' }, 'desc', 5)}`,
    [
      orderScopeArgs(q.scope)[0],
      q.kind ?? null,
      q.status ?? null,
      q.submissionId ?? null,
      ...keysetArgs(q.after?.createdAt, q.after?.id, q.limit),
      orderScopeArgs(q.scope)[1],
    ],
  );
  return rows.map((r) => toOrder(r, q.now, q.scope));
}

/**
 * Open orders the scheduler owes something at `now`: a re-notice due or a deadline missed and not yet escalated
 * (paused clocks excluded). Oldest first, at most `limit`. Folded requests are never due: their shared order is.
 */
export async function listOrdersDue(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* actioner:orders-due */ select id from orders
     where status not in ('verified', 'withdrawn') and paused_at is null and folded_into is null
       and ((next_notice_at <= $1 and status in ('issued', 'delivered', 'acknowledged', 'reopened'))
         or (deadline_at <= $1 and escalated_at is null and status <> 'actioned'))
     order by least(next_notice_at, deadline_at), id limit $2`,
    [now, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Actioned orders with a URL to re-fetch: those never tried inconclusively, and those whose next try
 * (`postponeVerification`) is due at `now`; waiting longest first (from when the order last changed, or from when
 * it might be tried again). `verifyAttempts`: the inconclusive tries so far.
 */
export async function listOrdersToVerify(
  db: Queryable,
  limit: number,
  now: Date,
): Promise<
  { id: string; verifyUrl: string; subject: { type: SubjectType; value: string }; verifyAttempts: number }[]
> {
  const { rows } = await db.query<{
    id: string;
    verify_url: string;
    subject_type: SubjectType;
    subject_value: string;
    verify_attempts: number;
  }>(
    `/* actioner:orders-to-verify */ select id, verify_url, subject_type, subject_value, verify_attempts from orders
     where status = 'actioned' and verify_url is not null and (verify_after is null or verify_after <= $2)
     order by coalesce(verify_after, updated_at), id limit $1`,
    [limit, now],
  );
  return rows.map((r) => ({
    id: r.id,
    verifyUrl: r.verify_url,
    subject: { type: r.subject_type, value: r.subject_value },
    verifyAttempts: r.verify_attempts,
  }));
}

/** An inconclusive check of an actioned order's URL: counted, and the next not before `retryAt`. */
export async function postponeVerification(db: Queryable, id: string, retryAt: Date): Promise<void> {
  await db.query(
    `/* actioner:postpone-verification */ update orders set verify_attempts = verify_attempts + 1,
       verify_after = $2 where id = $1 and status = 'actioned'`,
    [id, retryAt],
  );
}

/** The perceptual hashes the scanner stored for content an order stands for (its verdict's `hashes`). */
export interface StoredPerceptualHash {
  /** PDQ, 64 hex digits. */
  pdq: string;
  /** Its quality 0..100; null when the verdict did not say. */
  pdqQuality: number | null;
  /** blockhash (256-bit), 64 hex digits; null when the verdict has none. */
  blockhash: string | null;
  /**
   * The blockhash radius the verdict matched with: the largest `blockhash_threshold` of the (positive) banks its hits
   * name, as the matcher applied it; null when they name none (the matcher's default radius then).
   */
  blockhashRadius: number | null;
}

/**
 * The PDQ hashes, with their blockhash, of the content an order stands for: those of the verdicts of its submission
 * and of every submission linked to it (a re-upload folded into it), at most `limit`. None for an order of no submission (by hand, by an
 * authority's content hash) or whose verdicts hashed a URL rather than media (a URL list's, a reported page's).
 */
export async function orderPerceptualHashes(
  db: Queryable,
  id: string,
  limit = 16,
): Promise<StoredPerceptualHash[]> {
  const { rows } = await db.query<{
    pdq: string;
    quality: string | null;
    blockhash: string | null;
    radius: number | null;
  }>(
    `/* actioner:order-perceptual-hashes */ select distinct hashes->>'pdq' as pdq, hashes->>'pdqQuality' as quality,
       hashes->>'blockhash' as blockhash,
       (select max(b.blockhash_threshold) from banks b where not b.negative and b.id::text in (
          select h->>'bankId' from jsonb_array_elements(case when jsonb_typeof(v.hits) = 'array' then v.hits
            else '[]'::jsonb end) h)) as radius
     from verdicts v where hashes ? 'pdq' and submission_id in (
       select submission_id from orders where id = $1 and submission_id is not null
       union select submission_id from order_submissions where order_id = $1)
     limit $2`,
    [id, limit],
  );
  return rows
    .filter((r) => /^[0-9a-f]{64}$/.test(r.pdq))
    .map((r) => ({
      pdq: r.pdq,
      pdqQuality: r.quality === null ? null : Number(r.quality),
      blockhash: r.blockhash !== null && /^[0-9a-f]{64}$/.test(r.blockhash) ? r.blockhash : null,
      blockhashRadius: r.radius,
    }));
}
