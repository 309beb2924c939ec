import type { Hit, Verdict } from '@mod/contracts';

/** Versioned policy settings. Legal bases and deadlines are configuration, never code. */
export interface PolicyConfig {
  /** Recorded with every decision, so each one is explainable later. */
  version: string;
  blocking: { legalBasis: string; deadlineHours: number };
}

export const defaultPolicy: PolicyConfig = {
  version: '2026-11-28.1',
  blocking: {
    legalBasis: 'Decree 147/2024/ND-CP (removal within 24 hours of an authority request)',
    deadlineHours: 24,
  },
};

export interface PlannedOrder {
  kind: 'blocking';
  subject: { type: 'content-hash'; value: string };
  targetTenantId: string;
  legalBasis: string;
  deadlineAt: Date;
  bankIds: string[];
}

export interface PolicyDecision {
  /** block: orders follow; review: a person must look first; none: nothing matched; suppressed: a negative bank hit. */
  outcome: 'block' | 'review' | 'none' | 'suppressed';
  orders: PlannedOrder[];
  /** Hits that justified the outcome: evidence recorded with the decision (never media bytes). */
  evidence: { hits: Hit[]; policyVersion: string };
}

/**
 * Which orders a verdict leads to. A hit in a bank whose policy is automatic → a blocking request to every
 * subscribed ISP for the content's SHA-256; hits only in review banks → review; a negative-bank hit suppresses.
 */
export function evaluateVerdict(
  verdict: Pick<Verdict, 'hits' | 'hashes'>,
  context: { policy: PolicyConfig; ispSubscribers: readonly string[]; now: Date },
): PolicyDecision {
  const { policy } = context;
  if (verdict.hits.some((h) => h.negative)) {
    return {
      outcome: 'suppressed',
      orders: [],
      evidence: { hits: verdict.hits, policyVersion: policy.version },
    };
  }
  const automatic = verdict.hits.filter((h) => h.actionPolicy === 'automatic');
  if (automatic.length === 0) {
    const outcome = verdict.hits.length > 0 ? 'review' : 'none';
    return { outcome, orders: [], evidence: { hits: verdict.hits, policyVersion: policy.version } };
  }
  const deadlineAt = new Date(context.now.getTime() + policy.blocking.deadlineHours * 3_600_000);
  const bankIds = [...new Set(automatic.map((h) => h.bankId))].sort();
  const orders = context.ispSubscribers.map(
    (isp): PlannedOrder => ({
      kind: 'blocking',
      subject: { type: 'content-hash', value: verdict.hashes.sha256 },
      targetTenantId: isp,
      legalBasis: policy.blocking.legalBasis,
      deadlineAt,
      bankIds,
    }),
  );
  return { outcome: 'block', orders, evidence: { hits: automatic, policyVersion: policy.version } };
}
