import { refuse, ReviewRefusalCode, type ReviewRefusal } from './refusals.js';

/**
 * Kinds of case: `review` (a reviewer looks at what a machine only suspects), `confirm` (an authority confirms
 * orders policy issued), `escalation` (a reviewer handed the case to an authority).
 */
export const CaseKinds = ['review', 'confirm', 'escalation'] as const;
export type CaseKind = (typeof CaseKinds)[number];

/** The roles whose queues hold cases: reviewers and authorities. */
export const QueueRoles = ['reviewer', 'authority'] as const;
export type QueueRole = (typeof QueueRoles)[number];

/** Where a case stands at a moment: waiting for a person, held by one (live claim), or decided. */
export type CaseStage = 'open' | 'claimed' | 'decided';

/** Who acts: a person (`personId`) or a machine key (`personId: null`), with the role and tenant of its credential. */
export interface Actor {
  personId: string | null;
  role: string;
  tenantId: string;
}

/** What the core needs to know about a case (the store's row, narrowed). */
export interface CaseView {
  kind: CaseKind;
  status: 'open' | 'closed';
  claimedBy: string | null;
  claimExpiresAt: Date | null;
  /** For escalations addressed to one authority tenant; null: any authority (or not an escalation). */
  assignedTenantId: string | null;
}

/** How long things take, in one place; from configuration (`REVIEW_*`). */
export interface ReviewTimings {
  /** A claim lapses after this long without a decision, so an absent reviewer does not hold a case. Default 30. */
  claimMinutes: number;
  /** A review case should be decided this long after it opened. Default 24. */
  reviewDeadlineHours: number;
  /** An escalated case should be decided by the authority this long after the escalation. Default 24. */
  escalationDeadlineHours: number;
}

export const defaultReviewTimings: ReviewTimings = {
  claimMinutes: 30,
  reviewDeadlineHours: 24,
  escalationDeadlineHours: 24,
};

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Which queue a kind of case is in: review cases are the reviewers', confirmations and escalations the authorities'. */
export function queueRoleOf(kind: CaseKind): QueueRole {
  return kind === 'review' ? 'reviewer' : 'authority';
}

/** The kinds of case a queue holds. */
export function kindsInQueue(role: QueueRole): CaseKind[] {
  return CaseKinds.filter((k) => queueRoleOf(k) === role);
}

/**
 * Kinds a role decides here. Confirmation cases close through the order's own confirmation
 * (`POST /v1/orders/:id/confirm`), so no role decides them as cases.
 */
export const DECIDERS: Readonly<Record<CaseKind, readonly string[]>> = {
  review: ['reviewer'],
  confirm: [],
  escalation: ['authority'],
};

/** The case's stage at `now`: a claim past its expiry counts as no claim. */
export function stageOf(c: Pick<CaseView, 'status' | 'claimedBy' | 'claimExpiresAt'>, now: Date): CaseStage {
  if (c.status === 'closed') return 'decided';
  if (c.claimedBy !== null && c.claimExpiresAt !== null && c.claimExpiresAt.getTime() > now.getTime())
    return 'claimed';
  return 'open';
}

/** When a case of `kind` opened (or escalated) at `at` is due; confirmation cases follow their orders' deadlines. */
export function dueAtFor(kind: CaseKind, at: Date, timings: ReviewTimings): Date | null {
  if (kind === 'review') return new Date(at.getTime() + timings.reviewDeadlineHours * HOUR_MS);
  if (kind === 'escalation') return new Date(at.getTime() + timings.escalationDeadlineHours * HOUR_MS);
  return null;
}

/** Whether an undecided case is past its review deadline. */
export function isOverdue(c: { status: 'open' | 'closed'; dueAt: Date | null }, now: Date): boolean {
  return c.status === 'open' && c.dueAt !== null && c.dueAt.getTime() <= now.getTime();
}

/** Whether `actor`'s role works this case at all (its queue, and for an addressed escalation its tenant). */
export function mayWork(c: Pick<CaseView, 'kind' | 'assignedTenantId'>, actor: Actor): boolean {
  if (!DECIDERS[c.kind].includes(actor.role)) return false;
  return c.assignedTenantId === null || c.assignedTenantId === actor.tenantId;
}

/**
 * Whether `actor`'s role looks at this case's media: the people of its queue (reviewers for review cases,
 * authorities for confirmations and escalations, an addressed escalation's own authority only). Oversight roles
 * read cases, not pictures.
 */
export function mayView(c: Pick<CaseView, 'kind' | 'assignedTenantId'>, actor: Actor): boolean {
  if (queueRoleOf(c.kind) !== actor.role) return false;
  return c.assignedTenantId === null || c.assignedTenantId === actor.tenantId;
}

/** A claim as the store writes it. */
export interface Claim {
  ok: true;
  claimedBy: string;
  claimedAt: Date;
  claimExpiresAt: Date;
}

/**
 * Refusals every change of a case shares: a person, of a role that works it (unless `anyRole`: the caller checked
 * the role its own way), on a case still open.
 */
function refuseChange(c: CaseView, actor: Actor, now: Date, anyRole = false): ReviewRefusal | null {
  if (actor.personId === null)
    return refuse(ReviewRefusalCode.PersonRequired, 'only a signed-in person may work a case');
  if (!anyRole && !mayWork(c, actor))
    return refuse(ReviewRefusalCode.NotYourQueue, `a ${actor.role} does not work ${c.kind} cases`);
  if (stageOf(c, now) === 'decided') return refuse(ReviewRefusalCode.CaseClosed, 'the case is decided');
  return null;
}

/**
 * Claims the case for `actor` until `now + claimMinutes`. The same person claiming again renews the claim;
 * another person's live claim refuses it. The store applies the claim only where the row still allows it
 * (`claimed_by is null or claim expired or claimed_by = me`), so two claims racing never both win.
 */
export function claimCase(
  c: CaseView,
  actor: Actor,
  now: Date,
  timings: Pick<ReviewTimings, 'claimMinutes'>,
): Claim | ReviewRefusal {
  const refused = refuseChange(c, actor, now);
  if (refused !== null) return refused;
  if (stageOf(c, now) === 'claimed' && c.claimedBy !== actor.personId)
    return refuse(ReviewRefusalCode.CaseClaimed, 'another person is working on this case');
  return {
    ok: true,
    claimedBy: actor.personId!,
    claimedAt: now,
    claimExpiresAt: new Date(now.getTime() + timings.claimMinutes * MINUTE_MS),
  };
}

/** Why `actor` may not act on the case as its claimer now, or null when it holds a live claim of its own. */
export function refuseUnlessClaimer(c: CaseView, actor: Actor, now: Date): ReviewRefusal | null {
  const refused = refuseChange(c, actor, now);
  if (refused !== null) return refused;
  const live = stageOf(c, now) === 'claimed';
  if (c.claimedBy === actor.personId)
    return live ? null : refuse(ReviewRefusalCode.ClaimExpired, 'your claim on this case has expired');
  if (live) return refuse(ReviewRefusalCode.CaseClaimed, 'another person is working on this case');
  return refuse(ReviewRefusalCode.NotClaimed, 'claim the case first');
}

/**
 * Why `actor` may not see this case's media in full now, or null. A reveal is part of working a case (reviewers are
 * shown blurred previews otherwise), so only the person holding a live claim of their own reveals a case of their
 * queue: not a case in the queue nobody holds, not one another person holds, not a decided one. Confirmations,
 * which nobody claims (they close through the orders' confirmation), are revealed by the authorities of their
 * queue while they are open. (Whether the role looks at the case's media at all is `mayView`.)
 */
export function refuseReveal(c: CaseView, actor: Actor, now: Date): ReviewRefusal | null {
  return c.kind === 'confirm' ? refuseChange(c, actor, now, true) : refuseUnlessClaimer(c, actor, now);
}

/**
 * Gives the caller's claim back: the case returns to the queue. Idempotent: when nobody holds a live claim (the
 * caller's expired, or there was none) it is released already (`held: false`, nothing to change). Refused while
 * another person holds it, and on a decided case.
 */
export function releaseCase(
  c: CaseView,
  actor: Actor,
  now: Date,
): { ok: true; held: boolean } | ReviewRefusal {
  const refused = refuseChange(c, actor, now);
  if (refused !== null) return refused;
  if (stageOf(c, now) !== 'claimed') return { ok: true, held: false };
  if (c.claimedBy !== actor.personId)
    return refuse(ReviewRefusalCode.CaseClaimed, 'another person is working on this case');
  return { ok: true, held: true };
}
