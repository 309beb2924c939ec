import type { PlannedCase, PlannedOrder, PolicyConfig, PolicyContext, PolicyDecision } from './policy.js';
import { hostOf } from './policy.js';
import { withCaseReason } from './case-reason.js';
import { urlProvenanceOf } from './takedown-target.js';
import {
  BY_POLICY,
  caseOpenedRecord,
  orderIssuedRecord,
  orderToOpen,
  type AppliedBy,
  type AuditIntent,
  type DecidedContent,
  type OrderToOpen,
} from './records.js';

/** A case for people as a decision opens it (the store's case input). */
export interface CaseToOpen {
  kind: PlannedCase['kind'];
  submissionId: string | null;
  orderIds: string[];
  reason: string;
  /** Hits, distances, categories, scores: never media bytes. */
  evidence: unknown;
  policyVersion: string;
  createdAt: Date;
}

/**
 * What applying a decision writes, inside the caller's transaction: the actioner's store and the API's case
 * decisions implement it on PostgreSQL, unit tests in memory. One code path issues the orders of both.
 */
export interface DecisionEffects {
  /** Opens the order, or finds the open order it folds into (`created: false`). */
  openOrder(order: OrderToOpen): Promise<{ id: string; created: boolean }>;
  /** Enqueues a new order's announcement: the blocking/takedown message and the target's webhook. */
  announceOrder(orderId: string, at: Date): Promise<void>;
  /**
   * Opens a case for people, or finds the one of the same submission and kind (`created: false`; `reopened`: a
   * closed confirmation case opened again for orders that await an authority); null when the store opens none: a
   * confirmation case none of whose orders awaits an authority would never close.
   */
  openCase(c: CaseToOpen): Promise<{ id: string; created: boolean; reopened?: boolean } | null>;
  /** Appends an audit record; it commits with the transaction. */
  audit(record: AuditIntent): Promise<void>;
}

/** Where orders go: the lookups policy's targets need (subscribed ISPs, the platform hosting a host). */
export interface TargetLookups {
  blockingSubscribers(): Promise<string[]>;
  platformForHost(host: string): Promise<string | null>;
}

/**
 * The targets of orders for content at `url` (or with this URL subject), looked up only when orders will
 * follow (`actionable`), so a decision without orders reads nothing; and the URL's provenance, from the
 * submission's tenant and source as the database records them (`urlProvenanceOf`), which decides whether a
 * takedown may go to the platform hosting it.
 */
export async function orderTargets(
  lookups: TargetLookups,
  content: {
    url?: string | null | undefined;
    subject?: { type: string; value: string } | undefined;
    submission: { tenantId: string; source: string };
  },
  actionable: boolean,
): Promise<Pick<PolicyContext, 'ispSubscribers' | 'hostingPlatformTenantId' | 'urlProvenance'>> {
  const urlProvenance = urlProvenanceOf(content.submission);
  if (!actionable) return { ispSubscribers: [], hostingPlatformTenantId: null, urlProvenance };
  const host = hostOf(content.url ?? (content.subject?.type === 'url' ? content.subject.value : null));
  return {
    ispSubscribers: await lookups.blockingSubscribers(),
    hostingPlatformTenantId: host !== null ? await lookups.platformForHost(host) : null,
    urlProvenance,
  };
}

/**
 * Opens the orders a decision planned (duplicates fold into the open order of the same kind, subject and
 * target), announces each new one and audits it in the name of `by`. Returns every order's id (new or folded
 * into) and the kinds of the new ones.
 */
export async function issuePlannedOrders(
  fx: Pick<DecisionEffects, 'openOrder' | 'announceOrder' | 'audit'>,
  o: {
    decision: PolicyDecision;
    content: DecidedContent;
    policy: Pick<PolicyConfig, 'version'>;
    at: Date;
    by?: AppliedBy;
  },
): Promise<{ orderIds: string[]; issued: PlannedOrder['kind'][] }> {
  const by = o.by ?? BY_POLICY;
  const orderIds: string[] = [];
  const issued: PlannedOrder['kind'][] = [];
  for (const planned of o.decision.orders) {
    const opened = await fx.openOrder(orderToOpen(planned, o.content, o.decision, o.policy, o.at, by));
    orderIds.push(opened.id);
    if (!opened.created) continue;
    issued.push(planned.kind);
    await fx.announceOrder(opened.id, o.at);
    await fx.audit(orderIssuedRecord(planned, opened.id, o.content, o.policy, by));
  }
  return { orderIds, issued };
}

/**
 * Opens the cases a decision planned (a replay finds them open and adds nothing) and audits each new one in the
 * name of `by`, inside the caller's transaction.
 */
export async function openPlannedCases(
  fx: Pick<DecisionEffects, 'openCase' | 'audit'>,
  o: {
    cases: PolicyDecision['cases'];
    evidence: PolicyDecision['evidence'];
    submissionId: string;
    tenantId: string;
    orderIds: string[];
    policyVersion: string;
    at: Date;
    by?: AppliedBy;
  },
): Promise<void> {
  for (const planned of o.cases) {
    const opened = await fx.openCase({
      kind: planned.kind,
      submissionId: o.submissionId,
      orderIds: o.orderIds,
      reason: planned.reason,
      // The reason as a code with the evidence (no migration: cases keep their evidence as JSON).
      evidence: withCaseReason(o.evidence, planned.caseReason),
      policyVersion: o.policyVersion,
      createdAt: o.at,
    });
    if (opened?.created === true || opened?.reopened === true)
      await fx.audit(caseOpenedRecord(planned, opened.id, o, o.by ?? BY_POLICY, opened.reopened === true));
  }
}
