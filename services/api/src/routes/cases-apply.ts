import { withTransaction, type PoolClient } from '@mod/db';
import { getTenant, listBlockingSubscribers, type Principal } from '@mod/db/access';
import { getBank } from '@mod/db/banks';
import {
  closeReviewCase,
  getCaseContent,
  getReviewCase,
  insertBankProposal,
  openEscalation,
  type CaseContent,
  type ReviewCase,
} from '@mod/db/cases';
import {
  decisionEffectsOn,
  issueOrderRequest,
  platformForHost,
  type OrderRequestOutcome,
  type OrderTopics,
  type PgDecisionEffects,
} from '@mod/db/orders';
import {
  evaluateConfirmedCase,
  issuePlannedOrders,
  openPlannedCases,
  orderTargets,
  type AppliedBy,
  type DecisionEvidence,
  type TakedownWithheld,
  withoutCaseReason,
} from '@mod/policy';
import {
  decideCase,
  proposalEntries,
  type CaseDecision,
  type DecisionInput,
  type ProposalEntry,
  type ProposalSignal,
} from '@mod/review';
import { actorLabelOf, auditActorOf } from '../auth.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { auditActor } from './common.js';
import { actorOf, caseScopeFor, personOf, refusalAnswer, viewOf, type CasePartDeps } from './cases-common.js';
import { orderTopicsOf } from './order-commands.js';
import { announceOrderRequest } from './order-requests.js';

/** What a decision did, once committed. */
export interface AppliedDecision {
  case: ReviewCase;
  decision: CaseDecision['decision'];
  orderIds: string[];
  escalationId: string | null;
  proposalId: string | null;
}

/** The evidence a case was opened with, as policy wrote it (`DecisionEvidence`). */
type CaseEvidence = Partial<DecisionEvidence>;

/** The content's hashes a proposal may carry, from its last verdict. */
export function hashesOf(content: CaseContent): Partial<Record<ProposalSignal, string>> {
  const out: Partial<Record<ProposalSignal, string>> = {};
  for (const signal of ['sha256', 'sha1', 'md5', 'pdq', 'blockhash'] as const) {
    const v = content.hashes?.[signal];
    if (typeof v === 'string') out[signal] = v;
  }
  if (out.sha256 === undefined && content.sha256 !== null) out.sha256 = content.sha256;
  return out;
}

/** Who a decision names: the person (audit), their label (order histories) and the issuer of its orders. */
function appliedBy(p: Principal, decided: CaseDecision): AppliedBy {
  const issuer = decided.effects.issueOrders?.issuer ?? { kind: 'policy' as const };
  return { actor: auditActorOf(p), role: p.role, label: actorLabelOf(p), issuer };
}

/** The entries of the decision's bank proposal (checked against the bank and the content), or null for none. */
async function proposalOf(
  c: PoolClient,
  decided: CaseDecision,
  content: CaseContent,
): Promise<{ bankId: string; entries: ProposalEntry[]; note: string | null } | null> {
  const wanted = decided.effects.proposal;
  if (wanted === null) return null;
  const bank = await getBank(c, wanted.bankId);
  if (bank === null || bank.signalTypes.some((s) => (s as string) === 'url'))
    throw badRequest('MOD_ERR_API_VALIDATION', 'proposeToBankId names no hash bank');
  const entries = proposalEntries(decided.decision, decided.category, bank, hashesOf(content));
  if (!Array.isArray(entries)) throw refusalAnswer(entries);
  return { bankId: bank.id, entries, note: wanted.note };
}

/**
 * The effects of a decision whose orders an authority issues (its confirmation of an escalation): each order is a
 * request of the authority's own (`issueOrderRequest`), as its orders by hand are, so one whose subject an open
 * order covers already is folded into it (its deadline binding that order, announced to the target) and is
 * recorded as `order.folded`, never handed over as the other order, which may be another authority's.
 */
function authorityEffects(c: PoolClient, base: PgDecisionEffects, topics: OrderTopics): PgDecisionEffects {
  const requests = new Map<string, OrderRequestOutcome>();
  return {
    ...base,
    openOrder: async (order) => {
      const request = await issueOrderRequest(c, order);
      requests.set(request.id, request);
      return { id: request.id, created: true };
    },
    announceOrder: async (orderId, at) => {
      const request = requests.get(orderId);
      await (request === undefined
        ? base.announceOrder(orderId, at)
        : announceOrderRequest(c, topics, request, at));
    },
    audit: (record) =>
      base.audit(
        record.action === 'order.issued' && (requests.get(record.subject.id)?.foldedInto ?? null) !== null
          ? { ...record, action: 'order.folded' }
          : record,
      ),
  };
}

/**
 * Issues the orders a confirmation leads to, through policy's one code path (`@mod/policy`'s `apply.ts`), and says
 * which takedown policy withheld (a URL the submitter only claims, on another platform's host), if any.
 */
async function issueConfirmedOrders(
  c: PoolClient,
  fx: PgDecisionEffects,
  deps: CasePartDeps,
  o: { decided: CaseDecision; content: CaseContent; evidence: CaseEvidence; by: AppliedBy; now: Date },
): Promise<{ orderIds: string[]; takedownWithheld?: TakedownWithheld }> {
  const { decided, content, evidence, by, now } = o;
  const issue = decided.effects.issueOrders;
  if (issue === null) return { orderIds: [] };
  const { policy } = deps.review;
  const sha256 = evidence.sha256 ?? content.sha256;
  if (sha256 === undefined || sha256 === null)
    throw conflict('the case names no content to issue orders for');
  const subject = evidence.subject;
  const targets = await orderTargets(
    { blockingSubscribers: () => listBlockingSubscribers(c), platformForHost: (h) => platformForHost(c, h) },
    // The submission's tenant and source: a URL its submitter only claims addresses no other platform.
    { url: content.url, subject, submission: { tenantId: content.tenantId, source: content.source } },
    true,
  );
  const planned = evaluateConfirmedCase(
    {
      sha256,
      url: content.url,
      subject,
      hits: Array.isArray(evidence.hits) ? evidence.hits : [],
      ...(evidence.classification === undefined ? {} : { classification: evidence.classification }),
      ...(evidence.frames === undefined ? {} : { frames: evidence.frames }),
      category: issue.category,
      confirmedBy: by.role ?? 'person',
    },
    { policy, ...targets, now },
  );
  const { orderIds } = await issuePlannedOrders(fx, {
    decision: planned,
    content: { submissionId: content.submissionId, hashes: { sha256 } },
    policy,
    at: now,
    by,
  });
  if (decided.effects.openConfirmCase)
    await openPlannedCases(fx, {
      cases: planned.cases,
      evidence: planned.evidence,
      submissionId: content.submissionId,
      tenantId: content.tenantId,
      orderIds,
      policyVersion: policy.version,
      at: now,
      by,
    });
  const { takedownWithheld } = planned.evidence;
  return takedownWithheld === undefined ? { orderIds } : { orderIds, takedownWithheld };
}

/**
 * A person's decision on a case, in ONE transaction: the case locked and checked (`decideCase`: a person of its
 * queue holding a live claim, a reason, fields that fit), the orders a confirmation leads to (the actioner's
 * code path, announced through the outbox), the authority's confirmation case or the escalation, the bank
 * proposal, the case closed (the kept media follows: see migration 0018), and audit records naming the person.
 */
export async function applyCaseDecision(
  deps: CasePartDeps,
  p: Principal,
  caseId: string,
  input: DecisionInput,
): Promise<AppliedDecision> {
  const personId = personOf(p);
  const now = deps.now();
  const options = { scope: caseScopeFor(p), reviewDeadlineHours: deps.review.timings.reviewDeadlineHours };
  return withTransaction(deps.db, async (c) => {
    const stored = await getReviewCase(c, caseId, { ...options, lock: true });
    if (stored === null) throw notFound('case');
    const decided = decideCase(viewOf(stored), actorOf(p), input, now, deps.review.timings);
    if (!decided.ok) throw refusalAnswer(decided);
    const content = stored.submissionId === null ? null : await getCaseContent(c, stored.submissionId);
    if (content === null) throw conflict('the case names no submission');
    const escalation = decided.effects.escalation;
    if (escalation !== null && escalation.authorityTenantId !== null) {
      // A switched-off authority's people cannot sign in, and no one else may work a case addressed to it: the
      // case (and its kept media, which waits for it) would stay open for ever.
      const target = await getTenant(c, escalation.authorityTenantId);
      if (target === null || target.kind !== 'authority' || target.disabledAt !== null)
        throw badRequest(
          'MOD_ERR_API_VALIDATION',
          'authorityTenantId names no authority tenant that is switched on',
        );
    }
    const proposal = await proposalOf(c, decided, content);
    const topics = orderTopicsOf(deps);
    const by = appliedBy(p, decided);
    const base = decisionEffectsOn(c, topics);
    const fx = by.issuer.kind === 'authority' ? authorityEffects(c, base, topics) : base;
    const evidence = (stored.evidence ?? {}) as CaseEvidence;
    const issued = await issueConfirmedOrders(c, fx, deps, { decided, content, evidence, by, now });
    const { orderIds } = issued;

    let escalationId: string | null = null;
    if (escalation !== null) {
      const opened = await openEscalation(c, {
        // The escalation shows the authority the findings of the case it came from (hits, frames, a withheld
        // takedown), read as that case's are; its reason is the escalating person's, not policy's.
        from: { ...stored, evidence: withoutCaseReason(stored.evidence) },
        reason: decided.reason,
        authorityTenantId: escalation.authorityTenantId,
        dueAt: escalation.dueAt,
        createdAt: now,
      });
      escalationId = opened.id;
      if (opened.created)
        await fx.audit({
          ...auditActor(p),
          action: 'case.opened',
          subject: { type: 'case', id: opened.id },
          reason: `escalation of case ${stored.id}`,
          evidence: { escalatedFrom: stored.id, authorityTenantId: escalation.authorityTenantId },
        });
    }
    // The kept media follows the cases in the database (migration 0018's trigger): a case opened for the
    // content (the confirmation, the escalation) takes it over, and closing this one starts its retention clock.
    const closed = await closeReviewCase(c, stored.id, {
      decision: decided.decision,
      category: decided.category,
      reason: decided.reason,
      decidedBy: personId,
      decidedAt: now,
      closedBy: by.label,
      orderIds,
    });
    if (!closed)
      throw new ApiError(409, 'MOD_ERR_API_CASE_NOT_CLAIMED', 'your claim on this case has expired');

    let proposalId: string | null = null;
    if (proposal !== null) {
      const made = await insertBankProposal(c, {
        caseId: stored.id,
        bankId: proposal.bankId,
        tenantId: stored.tenantId,
        entries: proposal.entries,
        note: proposal.note,
        proposedBy: personId,
        proposedAt: now,
      });
      proposalId = made.id;
      await fx.audit({
        ...auditActor(p),
        action: 'bank_proposal.created',
        subject: { type: 'bank-proposal', id: made.id },
        reason: proposal.note,
        evidence: { caseId: stored.id, bankId: proposal.bankId, entries: proposal.entries.length },
      });
    }
    await fx.audit({
      ...auditActor(p),
      action: `case.${decided.decision === 'confirm' ? 'confirmed' : decided.decision === 'dismiss' ? 'dismissed' : 'escalated'}`,
      subject: { type: 'case', id: stored.id },
      reason: decided.reason,
      evidence: {
        kind: stored.kind,
        decision: decided.decision,
        category: decided.category,
        orderIds,
        escalationId,
        proposalId,
        ...(issued.takedownWithheld === undefined ? {} : { takedownWithheld: issued.takedownWithheld }),
      },
    });
    await fx.appendHeldAudit();
    const after = await getReviewCase(c, stored.id, options);
    if (after === null) throw notFound('case');
    return { case: after, decision: decided.decision, orderIds, escalationId, proposalId };
  });
}
