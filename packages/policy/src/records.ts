import type { Classified, Verdict } from '@mod/contracts';
import type { PlannedCase, PlannedOrder, PolicyConfig, PolicyDecision } from './policy.js';

/** Who acted, in the audit log, when policy decided (the actioner applies it). */
export const POLICY_ACTOR = { kind: 'policy', id: 'actioner' } as const;

/** Whom an audit record names: policy, a signed-in person (by person id), or a machine credential (`user`). */
export type AuditIntentActor = { kind: 'policy' | 'person' | 'user'; id: string };

/**
 * Who applies a decision: whom its audit records name (and in which role), the label order histories carry,
 * and the orders' issuer: policy (automatic, awaiting an authority's confirmation) or an authority tenant that
 * decided itself. Policy by default; a person's decision on a case names the person.
 */
export interface AppliedBy {
  actor: AuditIntentActor;
  role?: string;
  /** The order's `actor` (its history names it). */
  label: string;
  issuer: { kind: 'policy' } | { kind: 'authority'; tenantId: string };
}

/** Policy applying its own decision (the actioner). */
export const BY_POLICY: AppliedBy = {
  actor: POLICY_ACTOR,
  label: POLICY_ACTOR.id,
  issuer: { kind: 'policy' },
};

/** The content a decision is about, as records and orders name it. */
export interface DecidedContent {
  submissionId: string;
  hashes: { sha256: string };
}

/**
 * An audit record as the actioner asks for it: ids, digests and small evidence values, never media or personal
 * data (the audit store normalises and signs it; it is the store's `AuditEntry`).
 */
export interface AuditIntent {
  actor: AuditIntentActor;
  /** The acting person's role (absent for policy). */
  role?: string;
  action: string;
  tenantId: string;
  subject: { type: string; id: string };
  reason: string;
  evidence: Record<string, unknown>;
  versions: Record<string, string>;
}

/** An order as policy opens it: the planned order with its evidence, issuer and the verdict it came from. */
export interface OrderToOpen {
  kind: PlannedOrder['kind'];
  subjectType: PlannedOrder['subject']['type'];
  subjectValue: string;
  targetTenantId: string;
  legalBasis: string;
  issuer: { kind: 'policy' | 'authority'; id: string; bankIds: string[] };
  /** The authority tenant that issued the order itself (absent for policy's orders). */
  issuerTenantId?: string;
  deadlineAt: Date;
  evidence: {
    submissionId: string;
    sha256: string;
    hits: PolicyDecision['evidence']['hits'];
    policyVersion: string;
  };
  policyVersion: string;
  submissionId: string;
  actor: string;
  issuedAt: Date;
  renoticeIntervalMs: number;
  verifyUrl: string | null;
}

/** A record of what `by` applied under policy `policyVersion`: it names the actor (and role) and that version. */
function appliedRecord(
  by: AppliedBy,
  policyVersion: string,
  what: Omit<AuditIntent, 'actor' | 'role' | 'versions'>,
): AuditIntent {
  return {
    actor: by.actor,
    ...(by.role === undefined ? {} : { role: by.role }),
    ...what,
    versions: { policy: policyVersion },
  };
}

/**
 * What the records of a submission's result (a verdict, a classification) share: policy records it, about the
 * submission, with the decision's outcome as reason and its digest and classification (if any) as evidence.
 */
function submissionResultRecord(
  action: string,
  submission: { tenantId: string; submissionId: string; sha256: string },
  decision: PolicyDecision,
  evidence: Record<string, unknown>,
  versions: Record<string, string>,
): AuditIntent {
  const { classification, takedownWithheld } = decision.evidence;
  return {
    actor: POLICY_ACTOR,
    action,
    tenantId: submission.tenantId,
    subject: { type: 'submission', id: submission.submissionId },
    reason: decision.outcome,
    evidence: {
      sha256: submission.sha256,
      ...evidence,
      ...(classification === undefined ? {} : { classification }),
      ...(takedownWithheld === undefined ? {} : { takedownWithheld }),
    },
    versions,
  };
}

/** The record of a verdict being recorded: its decision and the evidence it rests on. */
export function verdictRecordedRecord(
  verdict: Verdict,
  decision: PolicyDecision,
  policy: Pick<PolicyConfig, 'version'>,
): AuditIntent {
  return submissionResultRecord(
    'verdict.recorded',
    { tenantId: verdict.tenantId, submissionId: verdict.submissionId, sha256: verdict.hashes.sha256 },
    decision,
    {
      hits: decision.evidence.hits.map((h) => ({
        bankId: h.bankId,
        entryId: h.entryId,
        signal: h.signal,
        distance: h.distance,
        category: h.category,
      })),
    },
    { policy: policy.version, scanner: verdict.scannerVersion },
  );
}

/** The order a planned order becomes, issued at `at` for the content's submission (by policy unless `by` says). */
export function orderToOpen(
  planned: PlannedOrder,
  verdict: DecidedContent,
  decision: PolicyDecision,
  policy: Pick<PolicyConfig, 'version'>,
  at: Date,
  by: AppliedBy = BY_POLICY,
): OrderToOpen {
  return {
    kind: planned.kind,
    subjectType: planned.subject.type,
    subjectValue: planned.subject.value,
    targetTenantId: planned.targetTenantId,
    legalBasis: planned.legalBasis,
    ...(by.issuer.kind === 'policy'
      ? { issuer: { kind: 'policy', id: policy.version, bankIds: planned.bankIds } }
      : {
          issuer: { kind: 'authority', id: by.issuer.tenantId, bankIds: planned.bankIds },
          issuerTenantId: by.issuer.tenantId,
        }),
    deadlineAt: planned.deadlineAt,
    evidence: {
      submissionId: verdict.submissionId,
      sha256: verdict.hashes.sha256,
      hits: decision.evidence.hits,
      policyVersion: policy.version,
    },
    policyVersion: policy.version,
    submissionId: verdict.submissionId,
    actor: by.label,
    issuedAt: at,
    renoticeIntervalMs: planned.renoticeIntervalMs,
    verifyUrl: planned.verifyUrl,
  };
}

/** The record of an order issued for a decision (a replayed verdict folds into the open order and records nothing). */
export function orderIssuedRecord(
  planned: PlannedOrder,
  orderId: string,
  verdict: DecidedContent,
  policy: Pick<PolicyConfig, 'version'>,
  by: AppliedBy = BY_POLICY,
): AuditIntent {
  return appliedRecord(by, policy.version, {
    action: 'order.issued',
    tenantId: planned.targetTenantId,
    subject: { type: 'order', id: orderId },
    reason: `${planned.kind} order for ${planned.subject.type} ${planned.subject.value}`,
    evidence: {
      sha256: verdict.hashes.sha256,
      submissionId: verdict.submissionId,
      bankIds: planned.bankIds,
      legalBasis: planned.legalBasis,
      deadlineAt: planned.deadlineAt.toISOString(),
    },
  });
}

/**
 * The record of a case opened for people. It names the orders only (the case row links the submission), so a
 * submission's audit export stays the verdict and its orders. `again`: a confirmation case opened again, orders
 * of its submission that await an authority having come to it after it closed (`orderIds`: those the decision
 * named, new or folded into).
 */
export function caseOpenedRecord(
  planned: PlannedCase,
  caseId: string,
  o: { tenantId: string; orderIds: string[]; policyVersion: string },
  by: AppliedBy = BY_POLICY,
  again = false,
): AuditIntent {
  return appliedRecord(by, o.policyVersion, {
    action: again ? 'case.reopened' : 'case.opened',
    tenantId: o.tenantId,
    subject: { type: 'case', id: caseId },
    reason: again
      ? `${planned.kind} case for ${planned.assignee} again, for orders that await it: ${planned.reason}`
      : `${planned.kind} case for ${planned.assignee}: ${planned.reason}`,
    evidence: { orderIds: o.orderIds, policyVersion: o.policyVersion },
  });
}

/** The record of a classifier result being recorded for a submission that matched nothing. */
export function classificationRecordedRecord(
  classified: Pick<
    Classified,
    'submissionId' | 'tenantId' | 'sha256' | 'classification' | 'classifierVersion'
  >,
  decision: PolicyDecision,
  policy: Pick<PolicyConfig, 'version'>,
): AuditIntent {
  return submissionResultRecord(
    'classification.recorded',
    classified,
    decision,
    {
      models: classified.classification.models.map((x) => ({
        id: x.id,
        version: x.version,
        sha256: x.sha256,
      })),
    },
    { policy: policy.version, classifier: classified.classifierVersion },
  );
}
