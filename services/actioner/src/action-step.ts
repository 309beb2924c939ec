import { Codecs } from '@mod/contracts';
import {
  appendAudit,
  enqueueOrderIssued,
  getOrder,
  listBlockingSubscribers,
  markSubmissionScanned,
  openCase,
  openOrder,
  platformForHost,
  recordVerdict,
  toDatabaseError,
  verdictRecorded,
  withTransaction,
  type OrderTopics,
  type Pool,
  type PoolClient,
} from '@mod/db';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import { evaluateVerdict, hostOf, ordersFollow, type PolicyConfig, type PolicyDecision } from '@mod/policy';
import type { Counter, Logger } from '@mod/telemetry';
import { systemClock, type Clock } from './clock.js';
import { checkVerdict } from './verdict-check.js';

/** Test seams that simulate a crash at a precise point. */
export interface ActionFaults {
  /** Runs after the verdict's transaction committed and before the step reports success (a crash there). */
  afterCommit?: (submissionId: string) => void;
}

export interface ActionStepDeps {
  db: Pool;
  policy: PolicyConfig;
  topics: OrderTopics;
  orders: Counter<'kind'>;
  logger: Logger;
  clock?: Clock;
  faults?: ActionFaults;
}

export const ACTOR = { kind: 'policy', id: 'actioner' } as const;

/**
 * Opens the cases policy planned for a submission (a replay finds them open and adds nothing) and audits each
 * one, inside the caller's transaction.
 */
export async function openPlannedCases(
  c: PoolClient,
  o: {
    cases: PolicyDecision['cases'];
    evidence: PolicyDecision['evidence'];
    submissionId: string;
    tenantId: string;
    orderIds: string[];
    policyVersion: string;
    at: Date;
  },
): Promise<void> {
  for (const planned of o.cases) {
    const opened = await openCase(c, {
      kind: planned.kind,
      submissionId: o.submissionId,
      orderIds: o.orderIds,
      reason: planned.reason,
      evidence: o.evidence,
      policyVersion: o.policyVersion,
      createdAt: o.at,
    });
    if (!opened.created) continue;
    await appendAudit(c, {
      actor: ACTOR,
      action: `case.opened`,
      tenantId: o.tenantId,
      subject: { type: 'case', id: opened.id },
      reason: `${planned.kind} case for ${planned.assignee}: ${planned.reason}`,
      // The case row links the submission; the record names the orders only, so a submission's audit
      // export stays the verdict and its orders.
      evidence: { orderIds: o.orderIds, policyVersion: o.policyVersion },
      versions: { policy: o.policyVersion },
    });
  }
}

/**
 * One verdict: in ONE transaction check it against the database (`checkVerdict`: a verdict the database does not
 * confirm is dead-lettered), record it, apply policy, open orders (duplicates fold) and cases, append
 * audit records and enqueue the outgoing messages (Kafka outbox and webhooks). Publishing happens after commit,
 * so a crash at any point neither loses nor duplicates an order. A replayed verdict is dropped.
 */
export function createActionStep(deps: ActionStepDeps) {
  const clock = deps.clock ?? systemClock;
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const claimed = Codecs.verdict.decode(m.value);
    let created = 0;
    try {
      const outcome = await withTransaction(deps.db, async (c): Promise<StepOutcome> => {
        if (await verdictRecorded(c, claimed.eventId))
          return { kind: 'drop', reason: 'verdict already recorded' };
        const checked = await checkVerdict(c, claimed);
        if (!checked.ok) return { kind: 'dlq', code: checked.code, message: checked.message };
        const verdict = checked.verdict;
        if (!(await recordVerdict(c, verdict))) return { kind: 'drop', reason: 'verdict already recorded' };
        await markSubmissionScanned(c, {
          id: verdict.submissionId,
          tenantId: verdict.tenantId,
          sha256: verdict.hashes.sha256,
          decision: verdict.decision,
          scannedAt: verdict.scannedAt,
        });
        const at = clock.now();
        const actionable = ordersFollow(verdict.hits);
        const host = hostOf(verdict.url ?? (verdict.subject?.type === 'url' ? verdict.subject.value : null));
        const decision = evaluateVerdict(verdict, {
          policy: deps.policy,
          ispSubscribers: actionable ? await listBlockingSubscribers(c) : [],
          hostingPlatformTenantId: actionable && host !== null ? await platformForHost(c, host) : null,
          now: at,
        });
        await appendAudit(c, {
          actor: ACTOR,
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
          versions: { policy: deps.policy.version, scanner: verdict.scannerVersion },
        });
        const orderIds: string[] = [];
        for (const planned of decision.orders) {
          const evidence = {
            submissionId: verdict.submissionId,
            sha256: verdict.hashes.sha256,
            hits: decision.evidence.hits,
            policyVersion: deps.policy.version,
          };
          const opened = await openOrder(c, {
            kind: planned.kind,
            subjectType: planned.subject.type,
            subjectValue: planned.subject.value,
            targetTenantId: planned.targetTenantId,
            legalBasis: planned.legalBasis,
            issuer: { kind: 'policy', id: deps.policy.version, bankIds: planned.bankIds },
            deadlineAt: planned.deadlineAt,
            evidence,
            policyVersion: deps.policy.version,
            submissionId: verdict.submissionId,
            actor: 'actioner',
            issuedAt: at,
            renoticeIntervalMs: planned.renoticeIntervalMs,
            verifyUrl: planned.verifyUrl,
          });
          orderIds.push(opened.id);
          if (!opened.created) continue;
          created++;
          deps.orders.inc({ kind: planned.kind });
          const order = await getOrder(c, opened.id, { all: true }, at);
          if (order === null) throw new Error('order vanished inside its own transaction');
          await enqueueOrderIssued(c, { topics: deps.topics, order, now: at });
          await appendAudit(c, {
            actor: ACTOR,
            action: 'order.issued',
            tenantId: planned.targetTenantId,
            subject: { type: 'order', id: opened.id },
            reason: `${planned.kind} order for ${planned.subject.type} ${planned.subject.value}`,
            evidence: {
              sha256: verdict.hashes.sha256,
              submissionId: verdict.submissionId,
              bankIds: planned.bankIds,
              legalBasis: planned.legalBasis,
              deadlineAt: planned.deadlineAt.toISOString(),
            },
            versions: { policy: deps.policy.version },
          });
        }
        await openPlannedCases(c, {
          cases: decision.cases,
          evidence: decision.evidence,
          submissionId: verdict.submissionId,
          tenantId: verdict.tenantId,
          orderIds,
          policyVersion: deps.policy.version,
          at,
        });
        deps.logger.info(
          {
            submissionId: verdict.submissionId,
            decision: decision.outcome,
            hits: verdict.hits.length,
            orders: decision.orders.length,
            cases: decision.cases.length,
          },
          'verdict actioned',
        );
        return { kind: 'ok' };
      });
      if (created > 0) deps.faults?.afterCommit?.(claimed.submissionId);
      return outcome;
    } catch (err) {
      throw toDatabaseError(err, 'action verdict');
    }
  };
}
