import type { Classified, Verdict } from '@mod/contracts';
import type { PlannedCase, PlannedOrder, PolicyConfig, PolicyDecision } from './policy.js';

/** Who acted, in the audit log, when policy decided (the actioner applies it). */
export const POLICY_ACTOR = { kind: 'policy', id: 'actioner' } as const;

/**
 * An audit record as the actioner asks for it: ids, digests and small evidence values, never media or personal
 * data (the audit store normalises and signs it; it is the store's `AuditEntry`).
 */
export interface AuditIntent {
  actor: { kind: 'policy'; id: string };
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
  issuer: { kind: 'policy'; id: string; bankIds: string[] };
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

/** The record of a verdict being recorded: its decision and the evidence it rests on. */
export function verdictRecordedRecord(
  verdict: Verdict,
  decision: PolicyDecision,
  policy: Pick<PolicyConfig, 'version'>,
): AuditIntent {
  return {
    actor: POLICY_ACTOR,
    action: 'verdict.recorded',
    tenantId: verdict.tenantId,
    subject: { type: 'submission', id: verdict.submissionId },
    reason: decision.outcome,
    evidence: {
      sha256: verdict.hashes.sha256,
      hits: decision.evidence.hits.map((h) => ({
        bankId: h.bankId,
        entryId: h.entryId,
        signal: h.signal,
        distance: h.distance,
        category: h.category,
      })),
      ...(decision.evidence.classification === undefined
        ? {}
        : { classification: decision.evidence.classification }),
    },
    versions: { policy: policy.version, scanner: verdict.scannerVersion },
  };
}

/** The order a planned order becomes, issued by policy at `at` for the verdict's submission. */
export function orderToOpen(
  planned: PlannedOrder,
  verdict: Verdict,
  decision: PolicyDecision,
  policy: Pick<PolicyConfig, 'version'>,
  at: Date,
): OrderToOpen {
  return {
    kind: planned.kind,
    subjectType: planned.subject.type,
    subjectValue: planned.subject.value,
    targetTenantId: planned.targetTenantId,
    legalBasis: planned.legalBasis,
    issuer: { kind: 'policy', id: policy.version, bankIds: planned.bankIds },
    deadlineAt: planned.deadlineAt,
    evidence: {
      submissionId: verdict.submissionId,
      sha256: verdict.hashes.sha256,
      hits: decision.evidence.hits,
      policyVersion: policy.version,
    },
    policyVersion: policy.version,
    submissionId: verdict.submissionId,
    actor: POLICY_ACTOR.id,
    issuedAt: at,
    renoticeIntervalMs: planned.renoticeIntervalMs,
    verifyUrl: planned.verifyUrl,
  };
}

/** The record of an order policy issued (a replayed verdict folds into the open order and records nothing). */
export function orderIssuedRecord(
  planned: PlannedOrder,
  orderId: string,
  verdict: Verdict,
  policy: Pick<PolicyConfig, 'version'>,
): AuditIntent {
  return {
    actor: POLICY_ACTOR,
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
    versions: { policy: policy.version },
  };
}

/**
 * The record of a case opened for people. It names the orders only (the case row links the submission), so a
 * submission's audit export stays the verdict and its orders.
 */
export function caseOpenedRecord(
  planned: PlannedCase,
  caseId: string,
  o: { tenantId: string; orderIds: string[]; policyVersion: string },
): AuditIntent {
  return {
    actor: POLICY_ACTOR,
    action: 'case.opened',
    tenantId: o.tenantId,
    subject: { type: 'case', id: caseId },
    reason: `${planned.kind} case for ${planned.assignee}: ${planned.reason}`,
    evidence: { orderIds: o.orderIds, policyVersion: o.policyVersion },
    versions: { policy: o.policyVersion },
  };
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
  return {
    actor: POLICY_ACTOR,
    action: 'classification.recorded',
    tenantId: classified.tenantId,
    subject: { type: 'submission', id: classified.submissionId },
    reason: decision.outcome,
    evidence: {
      sha256: classified.sha256,
      ...(decision.evidence.classification === undefined
        ? {}
        : { classification: decision.evidence.classification }),
      models: classified.classification.models.map((x) => ({
        id: x.id,
        version: x.version,
        sha256: x.sha256,
      })),
    },
    versions: { policy: policy.version, classifier: classified.classifierVersion },
  };
}
