import { randomUUID } from 'node:crypto';
import {
  applyOrderCommand,
  initialOrderState,
  isOverdue,
  type OrderClockState,
  type OrderCommand,
  type OrderStatus,
} from './order-machine.js';
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
  /** Issue time by the issuer's clock. Default: now. */
  issuedAt?: Date;
  /** Time between notices until the target acts. Default 24 h. */
  renoticeIntervalMs?: number;
  /** URL to re-fetch when the target reports the takedown done. */
  verifyUrl?: string | null;
  /** The authority tenant that issued the order by hand. */
  issuerTenantId?: string | null;
}

export interface Order {
  id: string;
  kind: OrderKind;
  subject: { type: SubjectType; value: string };
  targetTenantId: string;
  status: OrderStatus;
  legalBasis: string;
  issuer: unknown;
  issuerTenantId: string | null;
  issuedAt: string;
  deadlineAt: string;
  /** Whether the deadline has passed while the target still owed an action (at read time). */
  overdue: boolean;
  clock: {
    pausedAt: string | null;
    escalatedAt: string | null;
    nextNoticeAt: string | null;
    noticesSent: number;
    renoticeIntervalMs: number;
  };
  confirmedAt: string | null;
  confirmedBy: string | null;
  /** The tenant whose key confirmed the order (an authority; an admin tenant when an admin did). */
  confirmedByTenantId: string | null;
  deliveredAt: string | null;
  acknowledgedAt: string | null;
  actionedAt: string | null;
  verifiedAt: string | null;
  verifyUrl: string | null;
  verificationFailures: number;
  evidence: unknown;
  policyVersion: string;
  submissionId: string | null;
  createdAt: string;
  updatedAt: string;
  history: { status: string; at: string; actor: string; note: string | null }[];
}

const DAY_MS = 86_400_000;

/**
 * Opens an order unless an open one exists for the same (kind, subject, target): duplicates fold into it.
 * Returns the order id and whether this call created it.
 */
export async function openOrder(db: Queryable, o: OrderInput): Promise<{ id: string; created: boolean }> {
  const id = randomUUID();
  const issuedAt = o.issuedAt ?? new Date();
  const clock = initialOrderState({
    issuedAt,
    deadlineAt: o.deadlineAt,
    renoticeIntervalMs: o.renoticeIntervalMs ?? DAY_MS,
  });
  const inserted = await db.query<{ id: string }>(
    `/* orders:open-order */ insert into orders (id, kind, subject_type, subject_value, target_tenant_id, status,
       legal_basis, issuer, deadline_at, evidence, policy_version, submission_id, issued_at, renotice_interval_ms,
       next_notice_at, notices_sent, verify_url, issuer_tenant_id)
     values ($1, $2, $3, $4, $5, 'issued', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
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
      issuedAt,
      clock.renoticeIntervalMs,
      clock.nextNoticeAt,
      clock.noticesSent,
      o.verifyUrl ?? null,
      o.issuerTenantId ?? null,
    ],
  );
  if (inserted.rowCount === 1) {
    await db.query(
      `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at) values ($1, 'issued', $2, null, $3)`,
      [id, o.actor, issuedAt],
    );
    return { id, created: true };
  }
  const existing = await db.query<{ id: string }>(
    `/* orders:find-open-order */ select id from orders where kind = $1 and subject_type = $2 and subject_value = $3
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
  status: OrderStatus;
  legal_basis: string;
  issuer: unknown;
  issuer_tenant_id: string | null;
  issued_at: Date;
  deadline_at: Date;
  evidence: unknown;
  policy_version: string;
  submission_id: string | null;
  created_at: Date;
  updated_at: Date;
  renotice_interval_ms: number;
  next_notice_at: Date | null;
  notices_sent: number;
  paused_at: Date | null;
  escalated_at: Date | null;
  confirmed_at: Date | null;
  confirmed_by: string | null;
  confirmed_by_tenant_id: string | null;
  delivered_at: Date | null;
  acknowledged_at: Date | null;
  actioned_at: Date | null;
  verified_at: Date | null;
  closed_at: Date | null;
  verify_url: string | null;
  verification_failures: number;
  history?: { status: string; at: string; actor: string; note: string | null }[];
}

const ORDER_SELECT = `select o.*, coalesce((select json_agg(json_build_object('status', e.status, 'at', e.at, 'actor', e.actor,
  'note', e.note) order by e.id) from order_events e where e.order_id = o.id), '[]') as history from orders o`;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** The clock part of a row, for the pure lifecycle. */
function clockOf(r: OrderRow): OrderClockState {
  return {
    status: r.status,
    issuedAt: r.issued_at,
    deadlineAt: r.deadline_at,
    renoticeIntervalMs: r.renotice_interval_ms,
    nextNoticeAt: r.next_notice_at,
    noticesSent: r.notices_sent,
    pausedAt: r.paused_at,
    escalatedAt: r.escalated_at,
    confirmedAt: r.confirmed_at,
    deliveredAt: r.delivered_at,
    acknowledgedAt: r.acknowledged_at,
    actionedAt: r.actioned_at,
    verifiedAt: r.verified_at,
    closedAt: r.closed_at,
    verificationFailures: r.verification_failures,
  };
}

const toOrder = (r: OrderRow, now: Date = new Date()): Order => ({
  id: r.id,
  kind: r.kind,
  subject: { type: r.subject_type, value: r.subject_value },
  targetTenantId: r.target_tenant_id,
  status: r.status,
  legalBasis: r.legal_basis,
  issuer: r.issuer,
  issuerTenantId: r.issuer_tenant_id,
  issuedAt: r.issued_at.toISOString(),
  deadlineAt: r.deadline_at.toISOString(),
  overdue: isOverdue(clockOf(r), now),
  clock: {
    pausedAt: iso(r.paused_at),
    escalatedAt: iso(r.escalated_at),
    nextNoticeAt: iso(r.next_notice_at),
    noticesSent: r.notices_sent,
    renoticeIntervalMs: r.renotice_interval_ms,
  },
  confirmedAt: iso(r.confirmed_at),
  confirmedBy: r.confirmed_by,
  confirmedByTenantId: r.confirmed_by_tenant_id,
  deliveredAt: iso(r.delivered_at),
  acknowledgedAt: iso(r.acknowledged_at),
  actionedAt: iso(r.actioned_at),
  verifiedAt: iso(r.verified_at),
  verifyUrl: r.verify_url,
  verificationFailures: r.verification_failures,
  evidence: r.evidence,
  policyVersion: r.policy_version,
  submissionId: r.submission_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  history: (r.history ?? []).map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
});

/**
 * Who may see (and act on) which orders. THE order visibility rule; every order query applies it through
 * `orderScopeWhere`:
 * - `{ all: true }`: every order (reviewers and admins; internal services);
 * - `{ all: false, targetTenantId }`: the orders addressed to that tenant (an ISP, a platform);
 * - `{ all: false, authorityTenantId }`: an authority's orders, which are
 *   1. the orders its tenant issued by hand (`issuerTenantId`),
 *   2. the orders its tenant confirmed (`confirmedByTenantId`), and
 *   3. automatic (policy-issued) orders that no authority has confirmed yet, whatever their status: these
 *      belong to no authority, and any authority may review and confirm them (the confirmation case of an
 *      automatic decision lists orders the target may already have complied with). Once an authority confirms
 *      one, only that authority (and oversight) sees it.
 *   Another authority's hand-issued or confirmed order is outside the scope: reads and commands answer as if
 *   it did not exist.
 */
export type OrderScope =
  | { all: true }
  | { all: false; targetTenantId: string }
  | { all: false; authorityTenantId: string };

/** The two query parameters `orderScopeWhere` reads: the target tenant and the authority tenant (null: unused). */
export function orderScopeArgs(scope: OrderScope): [string | null, string | null] {
  if (scope.all) return [null, null];
  return 'targetTenantId' in scope ? [scope.targetTenantId, null] : [null, scope.authorityTenantId];
}

/**
 * The SQL condition of `OrderScope` over the orders alias `o`, reading the target tenant from parameter
 * `$t` and the authority tenant from `$a` (both null: every order).
 */
export function orderScopeWhere(t: number, a: number): string {
  const target = `$${t}`;
  const authority = `$${a}`;
  return `(${target}::text is null or o.target_tenant_id = ${target})
    and (${authority}::text is null or o.issuer_tenant_id = ${authority} or o.confirmed_by_tenant_id = ${authority}
      or (o.issuer ->> 'kind' = 'policy' and o.confirmed_at is null))`;
}

export async function getOrder(
  db: Queryable,
  id: string,
  scope: OrderScope,
  now: Date = new Date(),
): Promise<Order | null> {
  const { rows } = await db.query<OrderRow>(
    `/* api:get-order */ ${ORDER_SELECT} where o.id = $1 and ${orderScopeWhere(2, 3)}`,
    [id, ...orderScopeArgs(scope)],
  );
  return rows[0] ? toOrder(rows[0], now) : null;
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
       and ($3::text is null or o.status = $3) and ($4::uuid is null or o.submission_id = $4)
       and ($5::timestamptz is null or (o.created_at, o.id) < ($5::timestamptz, $6::uuid))
     order by o.created_at desc, o.id desc limit $7`,
    [
      orderScopeArgs(q.scope)[0],
      q.kind ?? null,
      q.status ?? null,
      q.submissionId ?? null,
      q.after?.createdAt ?? null,
      q.after?.id ?? null,
      q.limit,
      orderScopeArgs(q.scope)[1],
    ],
  );
  return rows.map((r) => toOrder(r, q.now));
}

/** Outcome of `commandOrder`: the order after the change, or why it did not apply (or that it is not visible). */
export type OrderCommandOutcome =
  | { ok: true; order: Order; event: string; before: OrderStatus }
  | { ok: false; notFound: true }
  | { ok: false; notFound: false; reason: string; order: Order };

/**
 * Applies one lifecycle command to an order inside the caller's transaction: locks the row, runs the pure
 * machine (`applyOrderCommand`), writes the new state and a history event at `now`. The caller audits in the
 * same transaction. An order outside `scope` is reported as not found.
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
  const { rows } = await db.query<OrderRow>(
    `/* orders:lock-order */ select o.* from orders o where o.id = $1 and ${orderScopeWhere(2, 3)} for update`,
    [a.id, ...orderScopeArgs(a.scope)],
  );
  const row = rows[0];
  if (row === undefined) return { ok: false, notFound: true };
  const result = applyOrderCommand(clockOf(row), a.command, a.now);
  if (!result.ok) return { ok: false, notFound: false, reason: result.reason, order: toOrder(row, a.now) };
  const s = result.state;
  await db.query(
    `/* orders:apply-command */ update orders set status = $2, deadline_at = $3, next_notice_at = $4,
       notices_sent = $5, paused_at = $6, escalated_at = $7, confirmed_at = $8,
       confirmed_by = case when $8::timestamptz is not null and confirmed_at is null then $9 else confirmed_by end,
       confirmed_by_tenant_id = case when $8::timestamptz is not null and confirmed_at is null then $17
         else confirmed_by_tenant_id end,
       delivered_at = $10, acknowledged_at = $11, actioned_at = $12, verified_at = $13, closed_at = $14,
       verification_failures = $15, updated_at = $16
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
    ],
  );
  await db.query(
    `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at) values ($1, $2, $3, $4, $5)`,
    [row.id, result.event, a.actor, result.note, a.now],
  );
  const order = await getOrder(db, row.id, { all: true }, a.now);
  if (order === null) throw new Error('order vanished inside its own transaction');
  return { ok: true, order, event: result.event, before: row.status };
}

/**
 * Open orders the scheduler owes something at `now`: a re-notice due or a deadline missed and not yet escalated
 * (paused clocks excluded). Oldest first, at most `limit`.
 */
export async function listOrdersDue(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* actioner:orders-due */ select id from orders
     where status not in ('verified', 'withdrawn') and paused_at is null
       and ((next_notice_at <= $1 and status in ('issued', 'delivered', 'acknowledged', 'reopened'))
         or (deadline_at <= $1 and escalated_at is null and status <> 'actioned'))
     order by least(next_notice_at, deadline_at), id limit $2`,
    [now, limit],
  );
  return rows.map((r) => r.id);
}

/** Actioned orders with a URL to re-fetch, least recently changed first. */
export async function listOrdersToVerify(
  db: Queryable,
  limit: number,
): Promise<{ id: string; verifyUrl: string; subject: { type: SubjectType; value: string } }[]> {
  const { rows } = await db.query<{
    id: string;
    verify_url: string;
    subject_type: SubjectType;
    subject_value: string;
  }>(
    `/* actioner:orders-to-verify */ select id, verify_url, subject_type, subject_value from orders
     where status = 'actioned' and verify_url is not null order by updated_at, id limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    verifyUrl: r.verify_url,
    subject: { type: r.subject_type, value: r.subject_value },
  }));
}

/** Time statistics of one group of orders. Seconds; null when no order of the group got that far. */
export interface OrderStats {
  /** Orders received (issued) and handled (actioned, verified or withdrawn). */
  received: number;
  handled: number;
  open: number;
  overdue: number;
  paused: number;
  acknowledgeSeconds: { median: number | null; p90: number | null };
  actionSeconds: { median: number | null; p90: number | null };
  /** Share of actioned orders actioned by their deadline (0..1); null when none was actioned. */
  withinDeadlineShare: number | null;
}

export interface OrderStatsReport {
  overall: OrderStats;
  byTarget: ({ targetTenantId: string } & OrderStats)[];
  byKind: ({ kind: OrderKind } & OrderStats)[];
}

interface StatsRow {
  grp: string | null;
  received: number;
  handled: number;
  open: number;
  overdue: number;
  paused: number;
  ack_median: number | null;
  ack_p90: number | null;
  act_median: number | null;
  act_p90: number | null;
  within_share: number | null;
}

const toStats = (r: StatsRow): OrderStats => ({
  received: r.received,
  handled: r.handled,
  open: r.open,
  overdue: r.overdue,
  paused: r.paused,
  acknowledgeSeconds: { median: r.ack_median, p90: r.ack_p90 },
  actionSeconds: { median: r.act_median, p90: r.act_p90 },
  withinDeadlineShare: r.within_share,
});

/**
 * Per target, per kind and overall: time from issue to acknowledgement and to action (median, p90), the share
 * actioned within the deadline, open / overdue / paused counts at `now`, reports received versus handled.
 */
export async function orderStats(
  db: Queryable,
  a: { scope: OrderScope; now: Date; since?: Date },
): Promise<OrderStatsReport> {
  const { rows } = await db.query<StatsRow & { dim: string }>(
    `/* api:order-stats */ with o as (
       select o.* from orders o where ${orderScopeWhere(1, 4)}
         and ($3::timestamptz is null or o.issued_at >= $3)
     )
     select case when grouping(target_tenant_id) = 0 then 'target' when grouping(kind) = 0 then 'kind' else 'overall' end as dim,
       coalesce(target_tenant_id, kind) as grp,
       count(*)::int as received,
       count(*) filter (where status in ('actioned', 'verified', 'withdrawn'))::int as handled,
       count(*) filter (where status not in ('verified', 'withdrawn'))::int as open,
       count(*) filter (where status not in ('verified', 'withdrawn', 'actioned') and paused_at is null
         and deadline_at <= $2)::int as overdue,
       count(*) filter (where status not in ('verified', 'withdrawn') and paused_at is not null)::int as paused,
       percentile_cont(0.5) within group (order by extract(epoch from acknowledged_at - issued_at)) as ack_median,
       percentile_cont(0.9) within group (order by extract(epoch from acknowledged_at - issued_at)) as ack_p90,
       percentile_cont(0.5) within group (order by extract(epoch from actioned_at - issued_at)) as act_median,
       percentile_cont(0.9) within group (order by extract(epoch from actioned_at - issued_at)) as act_p90,
       (count(*) filter (where actioned_at <= deadline_at))::float8
         / nullif(count(*) filter (where actioned_at is not null), 0) as within_share
     from o group by grouping sets ((target_tenant_id), (kind), ())
     order by dim, grp`,
    [orderScopeArgs(a.scope)[0], a.now, a.since ?? null, orderScopeArgs(a.scope)[1]],
  );
  const overall = rows.find((r) => r.dim === 'overall');
  return {
    overall: overall
      ? toStats(overall)
      : toStats({
          grp: null,
          received: 0,
          handled: 0,
          open: 0,
          overdue: 0,
          paused: 0,
          ack_median: null,
          ack_p90: null,
          act_median: null,
          act_p90: null,
          within_share: null,
        }),
    byTarget: rows
      .filter((r) => r.dim === 'target')
      .map((r) => ({ targetTenantId: r.grp ?? '', ...toStats(r) })),
    byKind: rows.filter((r) => r.dim === 'kind').map((r) => ({ kind: r.grp as OrderKind, ...toStats(r) })),
  };
}
