import { Codecs, type BlockingRequest } from '@mod/contracts';
import {
  appendAudit,
  enqueueOutbox,
  listBlockingSubscribers,
  markSubmissionScanned,
  openOrder,
  recordVerdict,
  toDatabaseError,
  withTransaction,
  type Pool,
} from '@mod/db';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import { evaluateVerdict, type PolicyConfig } from '@mod/policy';
import type { Counter, Logger } from '@mod/telemetry';

export interface ActionStepDeps {
  db: Pool;
  policy: PolicyConfig;
  blockingTopic: string;
  orders: Counter<'kind'>;
  logger: Logger;
  now?: () => Date;
}

const ACTOR = { kind: 'policy', id: 'actioner' } as const;

/**
 * One verdict: in ONE transaction record it, apply policy, open orders (duplicates fold), append audit records
 * and enqueue the outgoing messages. The outbox relay publishes after commit, so a crash at any point neither
 * loses nor duplicates an order. A replayed verdict is dropped.
 */
export function createActionStep(deps: ActionStepDeps) {
  const now = deps.now ?? (() => new Date());
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const verdict = Codecs.verdict.decode(m.value);
    try {
      const outcome = await withTransaction(deps.db, async (c): Promise<StepOutcome> => {
        if (!(await recordVerdict(c, verdict))) return { kind: 'drop', reason: 'verdict already recorded' };
        await markSubmissionScanned(c, {
          id: verdict.submissionId,
          tenantId: verdict.tenantId,
          source: 'kafka',
          externalRef: verdict.externalRef ?? null,
          reportedCategory: verdict.reportedCategory ?? null,
          url: verdict.url ?? null,
          sha256: verdict.hashes.sha256,
          decision: verdict.decision,
          scannedAt: verdict.scannedAt,
        });
        const at = now();
        const decision = evaluateVerdict(verdict, {
          policy: deps.policy,
          ispSubscribers: decisionNeedsSubscribers(verdict) ? await listBlockingSubscribers(c) : [],
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
            })),
          },
          versions: { policy: deps.policy.version, scanner: verdict.scannerVersion },
        });
        for (const planned of decision.orders) {
          const evidence = {
            submissionId: verdict.submissionId,
            hits: decision.evidence.hits,
            policyVersion: deps.policy.version,
          };
          const order = await openOrder(c, {
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
          });
          if (!order.created) continue;
          deps.orders.inc({ kind: planned.kind });
          const message: BlockingRequest = {
            orderId: order.id,
            ispTenantId: planned.targetTenantId,
            subject: planned.subject,
            legalBasis: planned.legalBasis,
            deadlineAt: planned.deadlineAt.toISOString(),
            issuedAt: at.toISOString(),
            evidence,
          };
          await enqueueOutbox(
            c,
            deps.blockingTopic,
            planned.targetTenantId,
            Codecs.blockingRequest.parse(message),
          );
          await appendAudit(c, {
            actor: ACTOR,
            action: 'order.issued',
            tenantId: planned.targetTenantId,
            subject: { type: 'order', id: order.id },
            reason: `blocking request for content ${planned.subject.value}`,
            evidence: {
              sha256: planned.subject.value,
              submissionId: verdict.submissionId,
              bankIds: planned.bankIds,
            },
            versions: { policy: deps.policy.version },
          });
        }
        deps.logger.info(
          {
            submissionId: verdict.submissionId,
            decision: decision.outcome,
            hits: verdict.hits.length,
            orders: decision.orders.length,
          },
          'verdict actioned',
        );
        return { kind: 'ok' };
      });
      return outcome;
    } catch (err) {
      throw toDatabaseError(err, 'action verdict');
    }
  };
}

function decisionNeedsSubscribers(verdict: { hits: { actionPolicy: string; negative: boolean }[] }): boolean {
  return verdict.hits.some((h) => h.actionPolicy === 'automatic') && !verdict.hits.some((h) => h.negative);
}
