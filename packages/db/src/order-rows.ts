import {
  isOverdue,
  type EscalationReason,
  type Order,
  type OrderClockState,
  type OrderKind,
  type OrderStatus,
  type SubjectType,
} from '@mod/orders';
import type { OrderScope } from './order-scope.js';

// How an order row is read: the columns, the select every order read goes through, and the mapping to the
// `Order` readers see (a folded request reads its shared order's lifecycle).

export interface OrderRow {
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
  escalation_reason: EscalationReason | null;
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
  history?: {
    status: string;
    at: string;
    actor: string;
    note: string | null;
    escalationReason: EscalationReason | null;
  }[];
  /** The primary's lifecycle columns, for a folded request (null otherwise): see `ORDER_SELECT`. */
  p_status?: OrderStatus | null;
  p_deadline_at?: Date | null;
  p_renotice_interval_ms?: number | null;
  p_next_notice_at?: Date | null;
  p_notices_sent?: number | null;
  p_paused_at?: Date | null;
  p_escalated_at?: Date | null;
  p_escalation_reason?: EscalationReason | null;
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
  'escalation_reason',
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
export const ORDER_SELECT = `select o.*, ${PRIMARY_COLUMNS}, coalesce((select json_agg(json_build_object('status', e.status,
  'at', e.at, 'actor', e.actor, 'note', e.note, 'escalationReason', e.escalation_reason) order by e.id) from order_events e where e.order_id = o.id), '[]')
  as history from orders o left join orders p on p.id = o.folded_into`;

/**
 * The status an order is read with: a live folded request has its primary's; a withdrawn one its own. (A
 * primary with live requests is never left withdrawn: `commandOrder` promotes one of them.)
 */
export const EFFECTIVE_STATUS = `(case when o.folded_into is not null and o.status <> 'withdrawn' then p.status else o.status end)`;

/** The clock part of a row, for the pure lifecycle. */
export function clockOf(r: OrderRow): OrderClockState {
  return {
    status: r.status,
    issuedAt: r.issued_at,
    deadlineAt: r.deadline_at,
    renoticeIntervalMs: r.renotice_interval_ms,
    nextNoticeAt: r.next_notice_at,
    noticesSent: r.notices_sent,
    pausedAt: r.paused_at,
    escalatedAt: r.escalated_at,
    escalationReason: r.escalation_reason,
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
    escalation_reason: r.p_escalation_reason ?? null,
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
export const toOrder = (row: OrderRow, now: Date = new Date(), scope: OrderScope = { all: true }): Order => {
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
      pausedAt: r.paused_at?.toISOString() ?? null,
      escalatedAt: r.escalated_at?.toISOString() ?? null,
      nextNoticeAt: r.next_notice_at?.toISOString() ?? null,
      noticesSent: r.notices_sent,
      renoticeIntervalMs: r.renotice_interval_ms,
    },
    confirmedAt: r.confirmed_at?.toISOString() ?? null,
    confirmedBy: r.confirmed_by,
    confirmedByTenantId: r.confirmed_by_tenant_id,
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
    actionedAt: r.actioned_at?.toISOString() ?? null,
    verifiedAt: r.verified_at?.toISOString() ?? null,
    verifyUrl: r.verify_url,
    verificationFailures: r.verification_failures,
    evidence: r.evidence,
    policyVersion: r.policy_version,
    submissionId: r.submission_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    history: (r.history ?? []).map(({ escalationReason, ...h }) => ({
      ...h,
      at: new Date(h.at).toISOString(),
      ...(escalationReason === null ? {} : { escalationReason }),
    })),
    folded: r.folded_into !== null,
    foldedInto: scope.all ? r.folded_into : null,
  };
};
