import type { BlockingRequest, Hit, OrderEvent, TakedownRequest } from '@mod/contracts';
import { cutText } from '@mod/contracts/text-rules';
import type { Order } from './order.js';
import type { EscalationReason } from './escalation-reasons.js';

/**
 * What an order sends, built from the order as it stands: the request a new order sends its target, the event
 * each change puts on the target's order-events topic, and the body of a target's webhook. `@mod/db/orders`
 * checks each against its schema and enqueues it in the order's transaction.
 */

/** The evidence fields a request carries, as policy and authorities record them (each may be absent). */
interface RequestEvidence {
  submissionId?: string;
  hits?: Hit[];
  policyVersion?: string;
  sha256?: string;
  note?: string;
}

/** Stands for the submission of a blocking request whose order names none (the schema requires one). */
const NO_SUBMISSION = '00000000-0000-0000-0000-000000000000';

/** The blocking request a new blocking order sends to its ISP. */
export function blockingRequestFor(order: Order): BlockingRequest {
  const ev = (order.evidence ?? {}) as RequestEvidence;
  return {
    orderId: order.id,
    ispTenantId: order.targetTenantId,
    subject: order.subject,
    legalBasis: order.legalBasis,
    deadlineAt: order.deadlineAt,
    issuedAt: order.issuedAt,
    evidence: {
      submissionId: ev.submissionId ?? order.submissionId ?? NO_SUBMISSION,
      hits: ev.hits ?? [],
      policyVersion: ev.policyVersion ?? order.policyVersion,
    },
  };
}

/** The takedown request a new takedown order sends to its platform (issued by policy unless an authority). */
export function takedownRequestFor(order: Order): TakedownRequest {
  const ev = (order.evidence ?? {}) as RequestEvidence;
  const issuer = (order.issuer ?? {}) as { kind?: string; id?: string };
  return {
    orderId: order.id,
    platformTenantId: order.targetTenantId,
    subject: order.subject,
    ...(order.verifyUrl === null ? {} : { url: order.verifyUrl }),
    legalBasis: order.legalBasis,
    deadlineAt: order.deadlineAt,
    issuedAt: order.issuedAt,
    issuer: {
      kind: issuer.kind === 'authority' ? 'authority' : 'policy',
      id: String(issuer.id ?? 'unknown'),
    },
    evidence: {
      ...(ev.submissionId === undefined ? {} : { submissionId: ev.submissionId }),
      ...(ev.sha256 === undefined ? {} : { sha256: ev.sha256 }),
      hits: ev.hits ?? [],
      policyVersion: ev.policyVersion ?? order.policyVersion,
      // The API takes 2,000 characters (code points); the request, 2,000 UTF-16 units.
      ...(ev.note === undefined ? {} : { note: cutText(ev.note, 2000) }),
    },
  };
}

/** A change of an order (status or clock) as it is announced: the order after it, who made it, and when. */
export interface OrderChange {
  order: Order;
  /** What happened (`confirmed`, `renoticed`, `escalated`, ...). */
  event: string;
  actor: string;
  note: string | null;
  now: Date;
  /** For an escalation: the authority it goes to. */
  escalateTo?: string;
  /** For an escalation: why, as a code (`EscalationReasons` has its texts). */
  escalationReason?: EscalationReason;
}

/**
 * The event a change of an order (status or clock) puts on its target's order-events topic. Free text is cut to
 * what the schema takes (actor and escalation target 200 UTF-16 units, note 2,000), never inside a character.
 */
export function orderEventFor(a: OrderChange & { eventId: string }): OrderEvent {
  return {
    eventId: a.eventId,
    orderId: a.order.id,
    kind: a.order.kind,
    targetTenantId: a.order.targetTenantId,
    event: a.event,
    status: a.order.status,
    at: a.now.toISOString(),
    actor: cutText(a.actor, 200),
    deadlineAt: a.order.deadlineAt,
    note: a.note === null ? null : cutText(a.note, 2000),
    ...(a.escalateTo === undefined ? {} : { escalateTo: cutText(a.escalateTo, 200) }),
    ...(a.escalationReason === undefined ? {} : { escalationReason: a.escalationReason }),
  };
}

/**
 * What a target's webhook receives: the event and the order as it stands (no media, no evidence bytes); an
 * escalation's notice says why as a code, `escalationReason` (`note` says it in English).
 */
export function webhookPayload(
  event: string,
  order: Order,
  note: string | null,
  at: Date,
  escalationReason?: EscalationReason,
) {
  return {
    event: `order.${event}`,
    at: at.toISOString(),
    note,
    ...(escalationReason === undefined ? {} : { escalationReason }),
    order: {
      id: order.id,
      kind: order.kind,
      subject: order.subject,
      status: order.status,
      legalBasis: order.legalBasis,
      issuedAt: order.issuedAt,
      deadlineAt: order.deadlineAt,
      noticesSent: order.clock.noticesSent,
      pausedAt: order.clock.pausedAt,
    },
  };
}
