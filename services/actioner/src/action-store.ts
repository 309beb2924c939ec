import type { Verdict } from '@mod/contracts';
import { withTransaction, type Pool } from '@mod/db';
import { listBlockingSubscribers } from '@mod/db/access';
import { decisionEffectsOn, platformForHost, type OrderTopics } from '@mod/db/orders';
import {
  recordScannedVerdict,
  recordSubmissionClassification,
  submissionScanState,
  tenantStanding,
  type SubmissionScanState,
  type TenantStanding,
} from '@mod/db/submissions';
import type { DecisionEffects, TargetLookups } from '@mod/policy';
import { checkVerdict, type VerdictCheck } from './verdict-check.js';

/**
 * What the actioner's steps read and write, inside one transaction: everything a step does through `tx` commits
 * together or not at all, and messages to publish are enqueued (outbox), never sent from inside it. Orders, cases
 * and audit records are written as every decision writes them (`DecisionEffects`), with the lookups its targets
 * need (`TargetLookups`).
 */
export interface ActionTx extends DecisionEffects, TargetLookups {
  /**
   * The verdict as far as the database confirms it (hit metadata from the banks, never from the message); 'recorded'
   * when this verdict event was recorded before (a replay). A verdict without hits may be recorded by the check
   * itself (`recorded` in the answer: then `recordVerdict` is not asked).
   */
  checkVerdict(claimed: Verdict): Promise<VerdictCheck | 'recorded'>;
  /**
   * Records the verdict and marks its submission scanned (its SHA-256, decision and scan time); false when it was
   * recorded before (a replay), and the submission is left as it is.
   */
  recordVerdict(verdict: Verdict): Promise<boolean>;
  /** Where a submission stands (null: no intake or worker recorded it). */
  scanState(submissionId: string): Promise<SubmissionScanState | null>;
  /** A tenant's kind and whether it is disabled (null: no such tenant), as the transaction sees it. */
  tenantStanding(tenantId: string): Promise<TenantStanding | null>;
  /** Records a classifier result once; false when one was recorded before. */
  recordClassification(c: {
    id: string;
    tenantId: string;
    sha256: string;
    classification: unknown;
    classifiedAt: string;
  }): Promise<boolean>;
}

export interface ActionStore {
  transaction<T>(work: (tx: ActionTx) => Promise<T>): Promise<T>;
}

/**
 * The actioner's store on PostgreSQL: one database transaction per `transaction`. Orders, cases and audit
 * records are written as every decision writes them (`decisionEffectsOn`, shared with people's decisions in the
 * API); audit records are appended together just before it commits, so the audit log's global lock is held only
 * at the end.
 */
export function createPgActionStore(db: Pool, topics: OrderTopics): ActionStore {
  return {
    transaction: (work) =>
      withTransaction(db, async (c) => {
        const effects = decisionEffectsOn(c, topics);
        const result = await work({
          checkVerdict: (claimed) => checkVerdict(c, claimed, { recordWithoutHits: true }),
          recordVerdict: (verdict) => recordScannedVerdict(c, verdict),
          blockingSubscribers: () => listBlockingSubscribers(c),
          platformForHost: (host) => platformForHost(c, host),
          openOrder: effects.openOrder,
          announceOrder: effects.announceOrder,
          openCase: effects.openCase,
          audit: effects.audit,
          scanState: (submissionId) => submissionScanState(c, submissionId),
          tenantStanding: (tenantId) => tenantStanding(c, tenantId),
          recordClassification: (input) => recordSubmissionClassification(c, input),
        });
        await effects.appendHeldAudit();
        return result;
      }),
  };
}
