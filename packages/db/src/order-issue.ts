import { randomUUID } from 'node:crypto';
import {
  applyOrderCommand,
  FOLD_ACTOR,
  foldShortensDeadline,
  initialOrderState,
  type OrderKind,
  type SubjectType,
} from '@mod/orders';
import { clockOf, type OrderRow } from './order-rows.js';
import type { Queryable } from './pool.js';

// Issuing orders: policy's automatic orders (`openOrder`) and authorities' requests (`issueOrderRequest`), each
// folding into the open order for the same (kind, subject, target) when there is one.

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
  // The row, its 'issued' event and its submission's link: one statement, the last two only if the row went in.
  const inserted = await db.query<{ id: string }>(
    `/* orders:open-order */ with ins as (insert into orders (id, kind, subject_type, subject_value,
       target_tenant_id, status, legal_basis, issuer, deadline_at, evidence, policy_version, submission_id, issued_at,
       renotice_interval_ms, next_notice_at, notices_sent, verify_url, issuer_tenant_id, folded_into)
     values ($1, $2, $3, $4, $5, 'issued', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     on conflict (kind, subject_type, text_key(subject_value), target_tenant_id)
       where status not in ('verified', 'withdrawn') and folded_into is null
     do nothing returning id), ev as (
       /* orders:order-event */ insert into order_events (order_id, status, actor, note, at)
       select id, 'issued', $19, null, $12 from ins
     ), ln as (
       /* orders:link-submission */ insert into order_submissions (submission_id, order_id)
       select $11, id from ins where $11::uuid is not null on conflict do nothing
     )
     select id from ins`,
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
      o.actor,
    ],
  );
  return inserted.rowCount === 1;
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
): Promise<OrderRow | null> {
  const { rows } = await db.query<OrderRow>(
    `/* orders:find-open-order */ select * from orders
     where kind = $1 and subject_type = $2 and text_key(subject_value) = text_key($3) and subject_value = $3
       and target_tenant_id = $4
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
  /**
   * When the open order's clock was paused: folding restarted it (`resumeForFolding`), and this is when it had
   * stopped and the deadline it then had (the caller announces the change to the target). Null otherwise.
   */
  resumed: { pausedAt: string; deadlineAt: string } | null;
}

/**
 * A shared order never stands paused while a live request is folded into it (`pause` is refused then): a pause
 * from before the request folded, which the request's authority cannot lift, would hold the request's deadline
 * off for as long as the pause lasted. So folding into a paused order resumes its clock as `resume` does (the
 * paused time added to the deadline and the next notice), a `resumed` event by `FOLD_ACTOR`; the binding deadline
 * rule applies after it. Returns what `OrderRequestOutcome.resumed` says, or null when the clock was running.
 */
async function resumeForFolding(
  db: Queryable,
  primary: OrderRow,
  at: Date,
): Promise<OrderRequestOutcome['resumed']> {
  if (primary.paused_at === null) return null;
  const r = applyOrderCommand(clockOf(primary), { type: 'resume' }, at);
  if (!r.ok) return null;
  await db.query(
    `/* orders:fold-resume */ update orders set paused_at = null, deadline_at = $2, next_notice_at = $3,
       updated_at = $4 where id = $1`,
    [primary.id, r.state.deadlineAt, r.state.nextNoticeAt, at],
  );
  await db.query(
    `/* orders:order-event */ insert into order_events (order_id, status, actor, note, at) values ($1, $2, $3, $4, $5)`,
    [primary.id, r.event, FOLD_ACTOR, r.note, at],
  );
  return { pausedAt: primary.paused_at.toISOString(), deadlineAt: r.state.deadlineAt.toISOString() };
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
 * without the request's note or issuer), once a paused clock was restarted (`resumeForFolding`); `commandOrder`
 * keeps the rule afterwards.
 */
export async function issueOrderRequest(db: Queryable, o: OrderInput): Promise<OrderRequestOutcome> {
  const id = randomUUID();
  const at = o.issuedAt ?? new Date();
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await insertOrderRow(db, id, o, null))
      return { id, foldedInto: null, shortened: null, resumed: null };
    const primary = await lockOpenPrimary(db, o);
    if (primary === null) continue; // closed in between: try to become the order again
    await insertOrderRow(db, id, o, primary.id);
    const resumed = await resumeForFolding(db, primary, at);
    const deadline = resumed === null ? primary.deadline_at : new Date(resumed.deadlineAt);
    if (!foldShortensDeadline(o.deadlineAt, deadline))
      return { id, foldedInto: primary.id, shortened: null, resumed };
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
      shortened: { from: deadline.toISOString(), to: o.deadlineAt.toISOString() },
      resumed,
    };
  }
  throw new Error('open order vanished between insert and select, three times');
}
