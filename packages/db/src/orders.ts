import { randomUUID } from 'node:crypto';
import type { Queryable } from './pool.js';

export type OrderKind = 'takedown' | 'blocking';
export type SubjectType = 'content-hash' | 'url' | 'host';

export interface OrderInput {
  kind: OrderKind;
  subjectType: SubjectType;
  subjectValue: string;
  targetTenantId: string;
  legalBasis: string;
  issuer: { kind: 'policy' | 'authority'; id: string; bankIds?: string[] };
  deadlineAt: Date;
  evidence: unknown;
  policyVersion: string;
  submissionId: string | null;
  actor: string;
}

export interface Order {
  id: string;
  kind: OrderKind;
  subject: { type: SubjectType; value: string };
  targetTenantId: string;
  status: string;
  legalBasis: string;
  issuer: unknown;
  deadlineAt: string;
  evidence: unknown;
  policyVersion: string;
  submissionId: string | null;
  createdAt: string;
  updatedAt: string;
  history: { status: string; at: string; actor: string; note: string | null }[];
}

/**
 * Opens an order unless an open one exists for the same (kind, subject, target): duplicates fold into it.
 * Returns the order id and whether this call created it.
 */
export async function openOrder(db: Queryable, o: OrderInput): Promise<{ id: string; created: boolean }> {
  const id = randomUUID();
  const inserted = await db.query<{ id: string }>(
    `/* actioner:open-order */ insert into orders (id, kind, subject_type, subject_value, target_tenant_id, status,
       legal_basis, issuer, deadline_at, evidence, policy_version, submission_id)
     values ($1, $2, $3, $4, $5, 'issued', $6, $7, $8, $9, $10, $11)
     on conflict (kind, subject_type, subject_value, target_tenant_id) where status not in ('verified', 'withdrawn')
     do nothing returning id`,
    [
      id,
      o.kind,
      o.subjectType,
      o.subjectValue,
      o.targetTenantId,
      o.legalBasis,
      JSON.stringify(o.issuer),
      o.deadlineAt,
      JSON.stringify(o.evidence),
      o.policyVersion,
      o.submissionId,
    ],
  );
  if (inserted.rowCount === 1) {
    await db.query(
      `/* actioner:order-event */ insert into order_events (order_id, status, actor, note) values ($1, 'issued', $2, null)`,
      [id, o.actor],
    );
    return { id, created: true };
  }
  const existing = await db.query<{ id: string }>(
    `/* actioner:find-open-order */ select id from orders where kind = $1 and subject_type = $2 and subject_value = $3
     and target_tenant_id = $4 and status not in ('verified', 'withdrawn')`,
    [o.kind, o.subjectType, o.subjectValue, o.targetTenantId],
  );
  const found = existing.rows[0];
  if (!found) throw new Error('open order vanished between insert and select');
  return { id: found.id, created: false };
}

interface OrderRow {
  id: string;
  kind: OrderKind;
  subject_type: SubjectType;
  subject_value: string;
  target_tenant_id: string;
  status: string;
  legal_basis: string;
  issuer: unknown;
  deadline_at: Date;
  evidence: unknown;
  policy_version: string;
  submission_id: string | null;
  created_at: Date;
  updated_at: Date;
  history: { status: string; at: string; actor: string; note: string | null }[];
}

const ORDER_SELECT = `select o.*, coalesce((select json_agg(json_build_object('status', e.status, 'at', e.at, 'actor', e.actor,
  'note', e.note) order by e.id) from order_events e where e.order_id = o.id), '[]') as history from orders o`;

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  kind: r.kind,
  subject: { type: r.subject_type, value: r.subject_value },
  targetTenantId: r.target_tenant_id,
  status: r.status,
  legalBasis: r.legal_basis,
  issuer: r.issuer,
  deadlineAt: r.deadline_at.toISOString(),
  evidence: r.evidence,
  policyVersion: r.policy_version,
  submissionId: r.submission_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  history: r.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
});

/** Who may see which orders: everything, or only orders addressed to one tenant. */
export type OrderScope = { all: true } | { all: false; targetTenantId: string };

export async function getOrder(db: Queryable, id: string, scope: OrderScope): Promise<Order | null> {
  const { rows } = await db.query<OrderRow>(
    `/* api:get-order */ ${ORDER_SELECT} where o.id = $1 and ($2::text is null or o.target_tenant_id = $2)`,
    [id, scope.all ? null : scope.targetTenantId],
  );
  return rows[0] ? toOrder(rows[0]) : null;
}

export interface OrderListQuery {
  scope: OrderScope;
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
     where ($1::text is null or o.target_tenant_id = $1) and ($2::text is null or o.kind = $2)
       and ($3::text is null or o.status = $3) and ($4::uuid is null or o.submission_id = $4)
       and ($5::timestamptz is null or (o.created_at, o.id) < ($5::timestamptz, $6::uuid))
     order by o.created_at desc, o.id desc limit $7`,
    [
      q.scope.all ? null : q.scope.targetTenantId,
      q.kind ?? null,
      q.status ?? null,
      q.submissionId ?? null,
      q.after?.createdAt ?? null,
      q.after?.id ?? null,
      q.limit,
    ],
  );
  return rows.map(toOrder);
}
