import { Type } from '@fastify/type-provider-typebox';
import type { Principal, Role } from '@mod/db/access';
import type { CaseScope, ReviewCase } from '@mod/db/cases';
import type { PolicyConfig } from '@mod/policy';
import {
  ReviewRefusalCode,
  stageOf,
  type Actor,
  type CaseView,
  type ReviewRefusal,
  type ReviewTimings,
} from '@mod/review';
import type { Counter, Registry } from '@mod/telemetry';
import type { EvidenceStore } from '@mod/vault';
import { isTenantBoundReviewer } from '../authz.js';
import { ApiError, badRequest, conflict, forbidden } from '../errors.js';
import { Nullable, Timestamp, Uuid, type RouteDeps } from './common.js';
import { caseReasonOf, CaseReasonBody } from './cases-reason.js';

/** Settings of the review routes (`REVIEW_*` and the policy settings, validated at start-up). */
export interface ReviewSettings {
  /** The policy a confirmation issues orders under: the actioner's (same settings, same code path). */
  policy: PolicyConfig;
  timings: ReviewTimings;
  /** Full-image reveals a person may make per day; 0: no limit (they are counted either way). */
  dailyRevealLimit: number;
  /**
   * Previews a person may be shown per day, counted apart from reveals; 0: no limit (they are counted either way).
   */
  dailyPreviewLimit: number;
  /** The reviewers' day for the exposure counter, minutes east of UTC (Vietnam: 420). */
  dayUtcOffsetMinutes: number;
  /** The evidence vault; null: previews and reveals answer 503. */
  evidence: EvidenceStore | null;
}

/** What app.ts gives the case route groups. */
export interface CaseRouteDeps extends RouteDeps {
  review: ReviewSettings;
  /** Where the queue gauges and the decision counter are registered. */
  registry: Registry;
}

/** What the parts of the case groups use: the group's deps and its counters (cases-metrics.ts). */
export interface CasePartDeps extends CaseRouteDeps {
  /** `mod_review_decisions_total{decision}`. */
  decisions: Pick<Counter<'decision'>, 'inc'>;
  /** `mod_review_reveals_total`. */
  reveals: Pick<Counter, 'inc'>;
  /** `mod_review_previews_total`. */
  previews: Pick<Counter, 'inc'>;
}

/** Roles that see every case (as they see every submission and order; a reviewer only of the operator's tenants). */
export const CASE_OVERSIGHT_ROLES: readonly Role[] = ['reviewer', 'admin'];
/** Roles that read the queues: reviewers (review cases), authorities (confirmations and escalations), admins. */
export const CASE_READERS: readonly Role[] = ['reviewer', 'authority', 'admin'];
/** Roles whose people work cases: reviewers decide review cases, authorities escalations. */
export const CASE_WORKERS: readonly Role[] = ['reviewer', 'authority'];

/**
 * The route config of case routes: tenant scope `own`, every case for the oversight roles; `people`: only people
 * (a session) may call it, never a machine key.
 */
export const caseRoute = (roles: readonly Role[], o: { people?: true } = {}) => ({
  roles: [...roles],
  tenant: 'own' as const,
  crossTenant: [...CASE_OVERSIGHT_ROLES],
  ...(o.people === true ? { sessionOnly: true as const } : {}),
});

/**
 * The cases a caller reaches (`CaseScope` in @mod/db has the rule and its SQL): the programme operator's reviewers
 * (a hotline or admin tenant's), admins and curators every case; a reviewer bound to another tenant
 * (`isTenantBoundReviewer`) the cases about its tenant's content and, an authority's, what its authority sees and
 * the review cases tied to its authority's orders, submissions and referred reports; an authority its queue
 * (confirmations, and escalations addressed to its tenant or to any authority). Any other case answers 404.
 */
export function caseScopeFor(p: Principal): CaseScope {
  if (isTenantBoundReviewer(p))
    return { all: false, reviewerTenantId: p.tenantId, ofAuthority: p.tenantKind === 'authority' };
  // Curators reach every decided case too: they propose and approve its hashes for banks.
  return CASE_OVERSIGHT_ROLES.includes(p.role) || p.role === 'curator'
    ? { all: true }
    : { all: false, authorityTenantId: p.tenantId };
}

/** The review core's actor for a caller. */
export const actorOf = (p: Principal): Actor => ({
  personId: p.personId,
  role: p.role,
  tenantId: p.tenantId,
});

/**
 * Only people act on cases and their media: those routes are `sessionOnly` (auth.ts answers a machine key of the
 * right role 403 MOD_ERR_API_SESSION_REQUIRED); this is the same answer, should a principal without a person
 * reach one anyway.
 */
export const personRequired = () =>
  new ApiError(
    403,
    'MOD_ERR_API_SESSION_REQUIRED',
    'only a signed-in person may do this; an API key may not',
  );

/** The person acting (a coded 403 for machines). */
export function personOf(p: Principal): string {
  if (p.personId === null) throw personRequired();
  return p.personId;
}

/** The review core's view of a stored case. */
export const viewOf = (c: ReviewCase): CaseView => ({
  kind: c.kind,
  status: c.status,
  claimedBy: c.claimedBy,
  claimExpiresAt: c.claimExpiresAt,
  assignedTenantId: c.assignedTenantId,
});

/** A refusal of the review core as an API answer (status and a stable `MOD_ERR_API_*` code). */
export function refusalAnswer(r: ReviewRefusal): ApiError {
  switch (r.code) {
    case ReviewRefusalCode.PersonRequired:
      return personRequired();
    case ReviewRefusalCode.NotYourQueue:
      return new ApiError(403, 'MOD_ERR_API_CASE_NOT_YOURS', r.message);
    case ReviewRefusalCode.CuratorRequired:
      return forbidden();
    case ReviewRefusalCode.SamePerson:
      return new ApiError(403, 'MOD_ERR_API_SAME_PERSON', r.message);
    case ReviewRefusalCode.CaseClaimed:
      return new ApiError(409, 'MOD_ERR_API_CASE_CLAIMED', r.message);
    case ReviewRefusalCode.NotClaimed:
    case ReviewRefusalCode.ClaimExpired:
      return new ApiError(409, 'MOD_ERR_API_CASE_NOT_CLAIMED', r.message);
    case ReviewRefusalCode.CaseClosed:
      return new ApiError(409, 'MOD_ERR_API_CASE_CLOSED', r.message);
    case ReviewRefusalCode.ProposalDecided:
      return conflict(r.message);
    case ReviewRefusalCode.CursorInvalid:
      return badRequest('MOD_ERR_API_BAD_CURSOR', r.message);
    case ReviewRefusalCode.FilterInvalid:
    case ReviewRefusalCode.SettingInvalid:
      return badRequest('MOD_ERR_API_VALIDATION', r.message);
    case ReviewRefusalCode.ExposureLimit:
      return new ApiError(429, 'MOD_ERR_API_EXPOSURE_LIMIT', r.message);
    case ReviewRefusalCode.DecisionNotAllowed:
    case ReviewRefusalCode.ReasonInvalid:
    case ReviewRefusalCode.CategoryRequired:
    case ReviewRefusalCode.CategoryNotAllowed:
    case ReviewRefusalCode.FieldNotAllowed:
    case ReviewRefusalCode.ProposalBankMismatch:
    case ReviewRefusalCode.ProposalNoSignals:
      return badRequest('MOD_ERR_API_DECISION_INVALID', r.message);
  }
}

export const CaseParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const Category = Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]);
const Kind = Type.Union([Type.Literal('review'), Type.Literal('confirm'), Type.Literal('escalation')]);
const DecisionName = Type.Union([Type.Literal('confirm'), Type.Literal('dismiss'), Type.Literal('escalate')]);

/** A case in a queue: no media, no hashes beyond the content's SHA-256. */
export const CaseSummaryBody = Type.Object(
  {
    id: Uuid,
    kind: Kind,
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    stage: Type.Union([Type.Literal('open'), Type.Literal('claimed'), Type.Literal('decided')]),
    tenantId: Nullable(Type.String()),
    submissionId: Nullable(Uuid),
    /** Why the case opened, in English: the text stored and logged. */
    reason: Type.String(),
    /** The same as a code and its parameters, for people's language; null: an old case, or an escalation. */
    reasonCoded: Type.Union([CaseReasonBody, Type.Null()]),
    /** The classifier's risk score, when a classifier opened the case. */
    riskScore: Type.Union([Type.Number(), Type.Null()]),
    /** Categories among the case's bank hits. */
    hitCategories: Type.Array(Type.String()),
    createdAt: Timestamp,
    dueAt: Nullable(Timestamp),
    overdue: Type.Boolean(),
    claimedBy: Nullable(Type.String()),
    claimExpiresAt: Nullable(Timestamp),
    decision: Type.Union([DecisionName, Type.Null()]),
    category: Type.Union([Category, Type.Null()]),
    decidedBy: Nullable(Type.String()),
    decidedAt: Nullable(Timestamp),
    assignedTenantId: Nullable(Type.String()),
    escalatedFrom: Nullable(Uuid),
    orderIds: Type.Array(Uuid),
  },
  { additionalProperties: false },
);

interface EvidenceShape {
  hits?: { category?: unknown }[];
  classification?: { riskScore?: unknown };
}

/** A case as a queue lists it, at `now`. */
export function caseSummary(c: ReviewCase, now: Date) {
  const evidence = (c.evidence ?? {}) as EvidenceShape;
  const score = evidence.classification?.riskScore;
  const hitCategories = [
    ...new Set(
      (Array.isArray(evidence.hits) ? evidence.hits : [])
        .map((h) => h.category)
        .filter((x): x is string => typeof x === 'string'),
    ),
  ].sort();
  return {
    id: c.id,
    kind: c.kind,
    status: c.status,
    stage: stageOf(c, now),
    tenantId: c.tenantId,
    submissionId: c.submissionId,
    reason: c.reason,
    reasonCoded: caseReasonOf(c.evidence, c.kind),
    riskScore: typeof score === 'number' ? score : null,
    hitCategories,
    createdAt: c.createdAt.toISOString(),
    dueAt: c.dueAt?.toISOString() ?? null,
    overdue: c.status === 'open' && c.dueAt !== null && c.dueAt.getTime() <= now.getTime(),
    claimedBy: c.claimedBy,
    claimExpiresAt: c.claimExpiresAt?.toISOString() ?? null,
    decision: c.decision,
    category: c.category,
    decidedBy: c.decidedBy,
    decidedAt: c.closedAt?.toISOString() ?? null,
    assignedTenantId: c.assignedTenantId,
    escalatedFrom: c.escalatedFrom,
    orderIds: c.orderIds,
  };
}
