import { Codecs, ModError } from '@mod/contracts';
import { toDatabaseError } from '@mod/db';
import { TenantRefusal } from '@mod/db/submissions';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import {
  classificationRecordedRecord,
  evaluateVerdict,
  openPlannedCases,
  type PolicyConfig,
} from '@mod/policy';
import type { Counter, Logger } from '@mod/telemetry';
import type { ActionStore } from './action-store.js';
import { systemClock, type Clock } from './clock.js';

/** Why the actioner refuses a classification: each code dead-letters it. */
export const ClassificationRefusal = {
  /** The classification names a submission no intake or worker recorded. */
  UnknownSubmission: 'MOD_ERR_CLASSIFICATION_UNKNOWN_SUBMISSION',
  /** The submission belongs to another tenant, or its content is not the classified content. */
  SubmissionMismatch: 'MOD_ERR_CLASSIFICATION_SUBMISSION_MISMATCH',
  /**
   * The submission's tenant is disabled: its media opens no review case (as the workers hold its events, the
   * classifier its results); replayable once it is enabled.
   */
  TenantDisabled: TenantRefusal.Disabled,
} as const;

export interface ClassificationStepDeps {
  store: ActionStore;
  policy: PolicyConfig;
  /** Classifications by what they led to: review (a case), none, replay, matched (the list decided). */
  outcomes: Pick<Counter<'outcome'>, 'inc'>;
  logger: Logger;
  clock?: Clock;
}

/**
 * One classifier result, after its submission's verdict: in one transaction check it against the submission,
 * record it once, audit it, and open the review case the risk policy asks for. A submission a list matched keeps
 * the list's decision (the classification is not needed and dropped); a replay is dropped.
 */
export function createClassificationStep(deps: ClassificationStepDeps) {
  const clock = deps.clock ?? systemClock;
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const classified = Codecs.classified.decode(m.value);
    const { submissionId, tenantId, sha256, classification } = classified;
    try {
      return await deps.store.transaction(async (tx): Promise<StepOutcome> => {
        const state = await tx.scanState(submissionId);
        if (state === null)
          return {
            kind: 'dlq',
            code: ClassificationRefusal.UnknownSubmission,
            message: `no submission ${submissionId}`,
          };
        if (state.tenantId !== tenantId || (state.sha256 !== null && state.sha256 !== sha256))
          return {
            kind: 'dlq',
            code: ClassificationRefusal.SubmissionMismatch,
            message: `submission ${submissionId} is not this tenant's or not this content`,
          };
        if (state.status === 'received')
          // The classifier waits for the verdict before it classifies; this one overtook it. Back off.
          return {
            kind: 'retry',
            error: new ModError('MOD_ERR_CLASSIFICATION_BEFORE_VERDICT', 'the verdict is not recorded yet', {
              retriable: true,
            }),
          };
        if (state.classifiedAt !== null) return { kind: 'drop', reason: 'classification already recorded' };
        // Checked in the transaction that would open the case: a tenant disabled after the classifier's own check
        // (or while the result waited on the topic) gets no case.
        if ((await tx.tenantStanding(tenantId))?.disabled !== false)
          return {
            kind: 'dlq',
            code: ClassificationRefusal.TenantDisabled,
            message: `tenant ${tenantId} is disabled`,
          };
        if (state.status === 'failed' || state.decision !== 'no-match') {
          deps.outcomes.inc({ outcome: 'matched' });
          return {
            kind: 'drop',
            reason: `submission decided by its verdict (${state.decision ?? state.status})`,
          };
        }
        if (
          !(await tx.recordClassification({
            id: submissionId,
            tenantId,
            sha256,
            classification,
            classifiedAt: classified.classifiedAt,
          }))
        )
          return { kind: 'drop', reason: 'classification already recorded' };
        const at = clock.now();
        const decision = evaluateVerdict(
          { hits: [], hashes: { sha256 }, classification },
          {
            policy: deps.policy,
            ispSubscribers: [],
            hostingPlatformTenantId: null,
            // No hit, so no order: whom a takedown could address does not arise.
            urlProvenance: { submitterTenantId: tenantId, observed: false },
            now: at,
          },
        );
        await tx.audit(classificationRecordedRecord(classified, decision, deps.policy));
        await openPlannedCases(tx, {
          cases: decision.cases,
          evidence: decision.evidence,
          submissionId,
          tenantId,
          orderIds: [],
          policyVersion: deps.policy.version,
          at,
        });
        deps.outcomes.inc({ outcome: decision.cases.length > 0 ? 'review' : 'none' });
        deps.logger.info(
          { submissionId, risk: classification.risk.score, cases: decision.cases.length },
          'classification recorded',
        );
        return { kind: 'ok' };
      });
    } catch (err) {
      throw toDatabaseError(err, 'record classification');
    }
  };
}
