import { randomUUID } from 'node:crypto';
import {
  applyOrderCommandUnderFolding,
  FOLD_ACTOR,
  foldShortensDeadline,
  initialOrderState,
  isOverdue,
  type Order,
  type OrderClockState,
  type OrderCommand,
  type OrderKind,
  type OrderStatus,
  type SubjectType,
} from '@mod/orders';
import type { Queryable } from './pool.js';

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

const DAY_MS = 86_400_000;

/** Inserts an order row (a primary unless `foldedInto`); returns whether it was inserted. */
async function insertOrderRow(
  db: Queryable,
  id: string,
  o: OrderInput,
  foldedInto: string | null,
): Promise<boolean> {
  const issuedAt = o.issuedAt ?? new Date();
  const clock = initialOrderState({
    issuedAt,
    deadlineAt: o.deadlineAt,
    renoticeIntervalMs: o.renoticeIntervalMs ?? DAY_MS,
  });
  // A folded request sends nothing itself: no notice due, none sent.
  const inserted = await db.query<{ id: string }>(
    `/* orders:open-order */ insert into orders (id, kind, subject_type, subject_value, target_tenant_id, status,
       legal_basis, issuer, deadline_at, evidence, policy_version, submission_id, issued_at, renotice_interval_ms,
       next_notice_at, notices_sent, verify_url, issuer_tenant_id, folded_into)
     values ($1, $2, $3, $4, $5, 'issued', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     on conflict (kind, subject_type, subject_value, target_tenant_id)
       where status not in ('verified', 'withdrawn') and folded_into is null
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
      foldedInto === null ? clock.nextNoticeAt : null,
      foldedInto === null ? clock.noticesSent : 0,
      o.verifyUrl ?? null,
      o.issuerTenantId ?? null,
      foldedInto,
    ],
  );
  if (inserted.rowCount !== 1) return false;
  await db.query(
    `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at) values ($1, 'issued', $2, null, $3)`,
    [id, o.actor, issuedAt],
  );
  if (o.submissionId !== null) await linkSubmission(db, id, o.submissionId);
  return true;
}

/** Records that an order stands for a submission too (idempotent). */
async function linkSubmission(db: Queryable, orderId: string, submissionId: string): Promise<void> {
  await db.query(
    `/* orders:link-submission */ insert into order_submissions (submission_id, order_id) values ($1, $2)
     on conflict do nothing`,
    [submissionId, orderId],
  );
}

/** The open primary order for (kind, subject, target), locked for the caller's transaction; null if none. */
async function lockOpenPrimary(
  db: Queryable,
  o: Pick<OrderInput, 'kind' | 'subjectType' | 'subjectValue' | 'targetTenantId'>,
): Promise<{ id: string; deadline_at: Date; escalated_at: Date | null } | null> {
  const { rows } = await db.query<{ id: string; deadline_at: Date; escalated_at: Date | null }>(
    `/* orders:find-open-order */ select id, deadline_at, escalated_at from orders
     where kind = $1 and subject_type = $2 and subject_value = $3 and target_tenant_id = $4
       and status not in ('verified', 'withdrawn') and folded_into is null
     for update`,
    [o.kind, o.subjectType, o.subjectValue, o.targetTenantId],
  );
  return rows[0] ?? null;
}

/**
 * Opens an order unless an open one exists for the same (kind, subject, target): duplicates fold into it.
 * Returns the order id and whether this call created it. For automatic orders (the actioner): a repeated
 * decision adds nothing. Authorities' requests go through `issueOrderRequest`, which keeps each request.
 */
export async function openOrder(db: Queryable, o: OrderInput): Promise<{ id: string; created: boolean }> {
  const id = randomUUID();
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await insertOrderRow(db, id, o, null)) return { id, created: true };
    const found = await lockOpenPrimary(db, o);
    if (found !== null) {
      // The same content again (a re-upload): the order stands for this submission too.
      if (o.submissionId !== null) await linkSubmission(db, found.id, o.submissionId);
      return { id: found.id, created: false };
    }
    // The open order closed between the insert and the select: try the insert again.
  }
  throw new Error('open order vanished between insert and select, three times');
}

/** What `issueOrderRequest` did. */
export interface OrderRequestOutcome {
  /** The request's own order id (a new row either way). */
  id: string;
  /** The open order it folded into; null when it became that order itself. */
  foldedInto: string | null;
  /**
   * When the request's deadline was earlier than the open order's: the open order's deadline before and after
   * (the caller announces the change to the target). Null otherwise.
   */
  shortened: { from: string; to: string } | null;
}

/**
 * Records an authority's order request, in the caller's transaction. With no open order for the same (kind,
 * subject, target) it becomes that order (the target is notified by the caller). Otherwise it is kept as an
 * order row of its own, folded into the open one (the primary): its own id, issuer, legal basis, evidence,
 * note and requested deadline, but no message of its own to the target, which receives one order per subject.
 *
 * The binding deadline rule: a shared order's deadline never lies beyond the requested deadline of a live
 * request folded into it, so a legal deadline is never weakened by folding. A request with an earlier
 * deadline moves the shared order's deadline to it here (a `deadline-shortened` event by `FOLD_ACTOR`,
 * without the request's note or issuer); `commandOrder` keeps the rule afterwards.
 */
export async function issueOrderRequest(db: Queryable, o: OrderInput): Promise<OrderRequestOutcome> {
  const id = randomUUID();
  const at = o.issuedAt ?? new Date();
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await insertOrderRow(db, id, o, null)) return { id, foldedInto: null, shortened: null };
    const primary = await lockOpenPrimary(db, o);
    if (primary === null) continue; // closed in between: try to become the order again
    await insertOrderRow(db, id, o, primary.id);
    if (!foldShortensDeadline(o.deadlineAt, primary.deadline_at))
      return { id, foldedInto: primary.id, shortened: null };
    // An escalation is for a missed deadline: a new, earlier one that has not passed clears it.
    await db.query(
      `/* orders:fold-shorten */ update orders set deadline_at = $2::timestamptz, updated_at = $3::timestamptz,
         escalated_at = case when $2::timestamptz > $3::timestamptz then null else escalated_at end where id = $1`,
      [primary.id, o.deadlineAt, at],
    );
    await db.query(
      `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at)
       values ($1, 'deadline-shortened', $2, null, $3)`,
      [primary.id, FOLD_ACTOR, at],
    );
    return {
      id,
      foldedInto: primary.id,
      shortened: { from: primary.deadline_at.toISOString(), to: o.deadlineAt.toISOString() },
    };
  }
  throw new Error('open order vanished between insert and select, three times');
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
  folded_into: string | null;
  history?: { status: string; at: string; actor: string; note: string | null }[];
  /** The primary's lifecycle columns, for a folded request (null otherwise): see `ORDER_SELECT`. */
  p_status?: OrderStatus | null;
  p_deadline_at?: Date | null;
  p_renotice_interval_ms?: number | null;
  p_next_notice_at?: Date | null;
  p_notices_sent?: number | null;
  p_paused_at?: Date | null;
  p_escalated_at?: Date | null;
  p_delivered_at?: Date | null;
  p_acknowledged_at?: Date | null;
  p_actioned_at?: Date | null;
  p_verified_at?: Date | null;
  p_closed_at?: Date | null;
  p_verification_failures?: number | null;
  p_updated_at?: Date | null;
}

/** The primary's lifecycle columns a folded request reads through (alias `p`). */
const PRIMARY_COLUMNS = [
  'status',
  'deadline_at',
  'renotice_interval_ms',
  'next_notice_at',
  'notices_sent',
  'paused_at',
  'escalated_at',
  'delivered_at',
  'acknowledged_at',
  'actioned_at',
  'verified_at',
  'closed_at',
  'verification_failures',
  'updated_at',
]
  .map((c) => `p.${c} as p_${c}`)
  .join(', ');

/**
 * Orders `o` with their history (their own events only) and, for folded requests, the primary `p` they fold
 * into. Every order read goes through it, so a folded request is read the same way everywhere.
 */
const ORDER_SELECT = `select o.*, ${PRIMARY_COLUMNS}, coalesce((select json_agg(json_build_object('status', e.status,
  'at', e.at, 'actor', e.actor, 'note', e.note) order by e.id) from order_events e where e.order_id = o.id), '[]')
  as history from orders o left join orders p on p.id = o.folded_into`;

/**
 * The status an order is read with: a live folded request has its primary's; a withdrawn one its own. (A
 * primary with live requests is never left withdrawn: `commandOrder` promotes one of them.)
 */
const EFFECTIVE_STATUS = `(case when o.folded_into is not null and o.status <> 'withdrawn' then p.status else o.status end)`;

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

/** Whether a row is a live folded request, whose lifecycle is its primary's. */
const followsPrimary = (r: OrderRow): boolean =>
  r.folded_into !== null && r.status !== 'withdrawn' && r.p_status !== null && r.p_status !== undefined;

/** A live folded request's row with the primary's lifecycle columns in place of its own. */
function lifecycleOf(r: OrderRow): OrderRow {
  if (!followsPrimary(r)) return r;
  const or = <T>(v: T | null | undefined, own: T): T => (v === null || v === undefined ? own : v);
  return {
    ...r,
    status: or(r.p_status, r.status),
    deadline_at: or(r.p_deadline_at, r.deadline_at),
    renotice_interval_ms: or(r.p_renotice_interval_ms, r.renotice_interval_ms),
    next_notice_at: r.p_next_notice_at ?? null,
    notices_sent: or(r.p_notices_sent, r.notices_sent),
    paused_at: r.p_paused_at ?? null,
    escalated_at: r.p_escalated_at ?? null,
    delivered_at: r.p_delivered_at ?? null,
    acknowledged_at: r.p_acknowledged_at ?? null,
    actioned_at: r.p_actioned_at ?? null,
    verified_at: r.p_verified_at ?? null,
    closed_at: r.p_closed_at ?? null,
    verification_failures: or(r.p_verification_failures, r.verification_failures),
    updated_at:
      r.p_updated_at !== null && r.p_updated_at !== undefined && r.p_updated_at > r.updated_at
        ? r.p_updated_at
        : r.updated_at,
  };
}

/**
 * An order as `scope` may read it. A folded request shows its own id, issuer, legal basis, evidence and
 * history with the shared order's lifecycle; which order it folds into is shown to oversight only.
 */
const toOrder = (row: OrderRow, now: Date = new Date(), scope: OrderScope = { all: true }): Order => {
  const r = lifecycleOf(row);
  return {
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
    folded: r.folded_into !== null,
    foldedInto: scope.all ? r.folded_into : null,
  };
};

/**
 * Who may see (and act on) which orders. THE order visibility rule; every order query applies it through
 * `orderScopeWhere`:
 * - `{ all: true }`: every order (reviewers and admins; internal services);
 * - `{ all: false, targetTenantId }`: the orders addressed to that tenant (an ISP, a platform), never a request
 *   folded into one of them (the target received one order; the requests behind it are the authorities' own);
 * - `{ all: false, authorityTenantId }`: an authority's orders, which are
 *   1. the orders its tenant issued by hand (`issuerTenantId`),
 *   2. the orders its tenant confirmed (`confirmedByTenantId`), and
 *   3. automatic (policy-issued) orders that no authority has confirmed yet, whatever their status: these
 *      belong to no authority, and any authority may review and confirm them (the confirmation case of an
 *      automatic decision lists orders the target may already have complied with). Once an authority confirms
 *      one, only that authority (and oversight) sees it.
 *   Another authority's hand-issued or confirmed order is outside the scope: reads and commands answer as if
 *   it did not exist. That holds across folding: an authority whose request folded into another authority's
 *   order sees its own request (folded, `issueOrderRequest`), never the order it folded into, and the issuer
 *   of that order never sees the folded request.
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
 * `$t` and the authority tenant from `$a` (both null: every order; a null parameter number: that part unused).
 */
export function orderScopeWhere(t: number | null, a: number | null): string {
  const target = t === null ? 'null' : `$${t}`;
  const authority = a === null ? 'null' : `$${a}`;
  return `(${target}::text is null or (o.target_tenant_id = ${target} and o.folded_into is null))
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
  return rows[0] ? toOrder(rows[0], now, scope) : null;
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
  return rows.map((r) => toOrder(r, q.now, q.scope));
}

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
  const promotedId =
    !folded && s.status === 'withdrawn' ? await promoteFoldedRequest(db, row.id, a.now) : null;
  const promoted = promotedId === null ? null : await getOrder(db, promotedId, { all: true }, a.now);
  return { ok: true, order: await view(row.id), event: result.event, before: row.status, promoted };
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
 * Folded requests count only for the authority that made them (with their shared order's lifecycle): what
 * targets received, and what oversight counts, is one order per shared order.
 */
export async function orderStats(
  db: Queryable,
  a: { scope: OrderScope; now: Date; since?: Date },
): Promise<OrderStatsReport> {
  const { rows } = await db.query<StatsRow & { dim: string }>(
    `/* api:order-stats */ with o as (
       select o.kind, o.target_tenant_id, o.issued_at, ${EFFECTIVE_STATUS} as status,
         case when o.folded_into is null or o.status = 'withdrawn' then o.deadline_at else p.deadline_at end
           as deadline_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.paused_at else p.paused_at end
           as paused_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.acknowledged_at else p.acknowledged_at end
           as acknowledged_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.actioned_at else p.actioned_at end
           as actioned_at
       from orders o left join orders p on p.id = o.folded_into
       where ${orderScopeWhere(1, 4)} and ($4::text is not null or o.folded_into is null)
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
