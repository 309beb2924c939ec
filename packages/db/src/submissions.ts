import { orderScopeArgs, orderScopeWhere, type OrderScope } from './orders.js';
import type { Queryable } from './pool.js';

export interface SubmissionInput {
  id: string;
  tenantId: string;
  source: 'api' | 'kafka' | 'fetcher';
  externalRef?: string | null;
  reportedCategory?: string | null;
  url?: string | null;
  sha256?: string | null;
  bytes?: number | null;
}

export async function insertSubmission(db: Queryable, s: SubmissionInput): Promise<void> {
  await db.query(
    `/* api:insert-submission */ insert into submissions (id, tenant_id, source, external_ref, reported_category, url,
       sha256, bytes, status) values ($1, $2, $3, $4, $5, $6, $7, $8, 'received') on conflict (id) do nothing`,
    [
      s.id,
      s.tenantId,
      s.source,
      s.externalRef ?? null,
      s.reportedCategory ?? null,
      s.url ?? null,
      s.sha256 ?? null,
      s.bytes ?? null,
    ],
  );
}

/**
 * Records the scan result on a submission that intake or a worker created (`receiveMedia`, `claimSubmission`);
 * only the submission's own tenant's verdict changes it.
 */
export async function markSubmissionScanned(
  db: Queryable,
  s: { id: string; tenantId: string; sha256: string; decision: string; scannedAt: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* actioner:submission-scanned */ update submissions set status = 'scanned', decision = $3, scanned_at = $4,
       sha256 = coalesce(sha256, $5) where id = $1 and tenant_id = $2`,
    [s.id, s.tenantId, s.decision, s.scannedAt, s.sha256],
  );
  return rowCount === 1;
}

/** Marks a submission of `tenantId` failed (a worker could not scan it); another tenant's is never touched. */
export async function markSubmissionFailed(
  db: Queryable,
  s: { id: string; tenantId: string },
  failureCode: string,
): Promise<void> {
  await db.query(
    `/* scanner:submission-failed */ update submissions set status = 'failed', failure_code = $3
     where id = $1 and tenant_id = $2`,
    [s.id, s.tenantId, failureCode],
  );
}

export interface Submission {
  id: string;
  tenantId: string;
  source: string;
  externalRef: string | null;
  reportedCategory: string | null;
  sha256: string | null;
  status: 'received' | 'scanned' | 'failed';
  decision: string | null;
  failureCode: string | null;
  receivedAt: string;
  scannedAt: string | null;
  orderIds: string[];
}

/**
 * A submission with the ids of its orders, oldest first; `orders` limits those to the orders a caller may see
 * (default: all). Whether the caller may see the submission itself is the caller's decision.
 */
export async function getSubmission(
  db: Queryable,
  id: string,
  orders: OrderScope = { all: true },
): Promise<Submission | null> {
  const { rows } = await db.query<{
    id: string;
    tenant_id: string;
    source: string;
    external_ref: string | null;
    reported_category: string | null;
    sha256: string | null;
    status: Submission['status'];
    decision: string | null;
    failure_code: string | null;
    received_at: Date;
    scanned_at: Date | null;
    order_ids: string[];
  }>(
    `/* api:get-submission */ select s.*, coalesce(array_agg(o.id order by o.created_at) filter (where o.id is not null), '{}') as order_ids
     from submissions s left join orders o on o.submission_id = s.id and ${orderScopeWhere(2, 3)}
     where s.id = $1 group by s.id`,
    [id, ...orderScopeArgs(orders)],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    tenantId: r.tenant_id,
    source: r.source,
    externalRef: r.external_ref,
    reportedCategory: r.reported_category,
    sha256: r.sha256,
    status: r.status,
    decision: r.decision,
    failureCode: r.failure_code,
    receivedAt: r.received_at.toISOString(),
    scannedAt: r.scanned_at?.toISOString() ?? null,
    orderIds: r.order_ids,
  };
}
