import { hasUnsafeTextCharacter } from '@mod/contracts/text-rules';
import {
  dueAtFor,
  refuseUnlessClaimer,
  type Actor,
  type CaseKind,
  type CaseView,
  type ReviewTimings,
} from './case-life.js';
import { refuse, ReviewRefusalCode, type ReviewRefusal } from './refusals.js';

/** What a person decides about a case. */
export const Decisions = ['confirm', 'dismiss', 'escalate'] as const;
export type Decision = (typeof Decisions)[number];

/** IWF's severity categories: A (most severe) to C. A confirmation names one. */
export const Categories = ['A', 'B', 'C'] as const;
export type Category = (typeof Categories)[number];

/** Longest decision reason, characters. */
export const MAX_REASON_CHARS = 2000;

/** The decisions each kind of case takes: an escalation is decided by its authority, not escalated again. */
export const DECISIONS_BY_KIND: Readonly<Record<CaseKind, readonly Decision[]>> = {
  review: ['confirm', 'dismiss', 'escalate'],
  confirm: [],
  escalation: ['confirm', 'dismiss'],
};

/** A decision as a person asks for it (already shaped by the API schema; the core checks what it means). */
export interface DecisionInput {
  decision: Decision;
  reason: string;
  /** Confirm only. */
  category?: Category | undefined;
  /** Confirm (a bank that is not negative) or dismiss (a negative bank): propose the content's hashes for it. */
  proposeToBankId?: string | undefined;
  proposalNote?: string | undefined;
  /** Escalate only: the authority tenant to hand the case to (absent: any authority). */
  authorityTenantId?: string | undefined;
}

/** Who issues the orders a confirmation leads to: policy (awaiting an authority's confirmation), or the authority itself. */
export type OrderIssuer = { kind: 'policy' } | { kind: 'authority'; tenantId: string };

/** What a decision leads to; the caller applies every effect in the decision's transaction. */
export interface DecisionEffects {
  /** Confirm: the orders policy issues for the content, in this category. */
  issueOrders: { category: Category; issuer: OrderIssuer } | null;
  /** Confirm by a reviewer: the authority confirmation case for the orders (an authority's own needs none). */
  openConfirmCase: boolean;
  /** Escalate: an authority case, due at `dueAt`. */
  escalation: { authorityTenantId: string | null; dueAt: Date | null } | null;
  /** A bank proposal that a curator (another person) approves or rejects. */
  proposal: { bankId: string; note: string | null } | null;
}

export interface CaseDecision {
  ok: true;
  decision: Decision;
  category: Category | null;
  reason: string;
  decidedBy: string;
  decidedAt: Date;
  effects: DecisionEffects;
}

/** A reason as stored (trimmed), or why it cannot be one. */
export function checkReason(reason: string): string | ReviewRefusal {
  const trimmed = reason.trim();
  if (trimmed.length === 0 || [...trimmed].length > MAX_REASON_CHARS || hasUnsafeTextCharacter(trimmed))
    return refuse(
      ReviewRefusalCode.ReasonInvalid,
      `a reason of 1 to ${MAX_REASON_CHARS} characters without control characters is required`,
    );
  return trimmed;
}

/** Whether the fields fit the decision: category with confirm only, a proposal not on escalate, a target on escalate only. */
function refuseFields(input: DecisionInput): ReviewRefusal | null {
  if (input.decision === 'confirm' && input.category === undefined)
    return refuse(ReviewRefusalCode.CategoryRequired, 'a confirmation names the category (A, B or C)');
  if (input.decision !== 'confirm' && input.category !== undefined)
    return refuse(ReviewRefusalCode.CategoryNotAllowed, 'only a confirmation carries a category');
  if (input.decision === 'escalate' && input.proposeToBankId !== undefined)
    return refuse(ReviewRefusalCode.FieldNotAllowed, 'an escalation proposes nothing for a bank');
  if (input.proposeToBankId === undefined && input.proposalNote !== undefined)
    return refuse(ReviewRefusalCode.FieldNotAllowed, 'a proposal note needs a proposal');
  if (input.decision !== 'escalate' && input.authorityTenantId !== undefined)
    return refuse(ReviewRefusalCode.FieldNotAllowed, 'only an escalation names an authority');
  return null;
}

/**
 * Checks a person's decision on a case and says what it leads to. Refused unless: the actor is a person of a
 * role that decides this kind, holding a live claim on the open case; the decision applies to the kind; a reason
 * is given; the fields fit the decision. Never throws.
 *
 * - confirm (category A/B/C): orders follow (issued by policy for a reviewer, by the authority for an escalation
 *   it decides) and, for a reviewer, the authority confirmation case; optionally a bank proposal;
 * - dismiss: nothing follows, except optionally a proposal for a negative bank (checked with `proposalEntries`);
 * - escalate: an authority case (addressed to `authorityTenantId`, or any authority), due after
 *   `escalationDeadlineHours`.
 */
export function decideCase(
  c: CaseView,
  actor: Actor,
  input: DecisionInput,
  now: Date,
  timings: ReviewTimings,
): CaseDecision | ReviewRefusal {
  const refused = refuseUnlessClaimer(c, actor, now);
  if (refused !== null) return refused;
  if (!DECISIONS_BY_KIND[c.kind].includes(input.decision))
    return refuse(
      ReviewRefusalCode.DecisionNotAllowed,
      `a ${c.kind} case cannot be decided "${input.decision}"`,
    );
  const reason = checkReason(input.reason);
  if (typeof reason !== 'string') return reason;
  const badFields = refuseFields(input);
  if (badFields !== null) return badFields;

  const category = input.decision === 'confirm' ? input.category! : null;
  const issuer: OrderIssuer =
    c.kind === 'escalation' ? { kind: 'authority', tenantId: actor.tenantId } : { kind: 'policy' };
  const note = input.proposalNote?.trim();
  return {
    ok: true,
    decision: input.decision,
    category,
    reason,
    decidedBy: actor.personId!,
    decidedAt: now,
    effects: {
      issueOrders: category === null ? null : { category, issuer },
      openConfirmCase: category !== null && issuer.kind === 'policy',
      escalation:
        input.decision === 'escalate'
          ? {
              authorityTenantId: input.authorityTenantId ?? null,
              dueAt: dueAtFor('escalation', now, timings),
            }
          : null,
      proposal:
        input.proposeToBankId === undefined
          ? null
          : { bankId: input.proposeToBankId, note: note === undefined || note === '' ? null : note },
    },
  };
}
