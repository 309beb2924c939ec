import type { Verdict } from '@mod/contracts';
import { withTransaction, type Pool } from '@mod/db';
import { listBlockingSubscribers } from '@mod/db/access';
import { decisionEffectsOn, platformForHost, type OrderTopics } from '@mod/db/orders';
import {
  markSubmissionScanned,
  recordSubmissionClassification,
  recordVerdict,
  submissionScanState,
  verdictRecorded,
  type SubmissionScanState,
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
  verdictRecorded(eventId: string): Promise<boolean>;
  /** The verdict as far as the database confirms it (hit metadata from the banks, never from the message). */
  checkVerdict(claimed: Verdict): Promise<VerdictCheck>;
  /** Records the verdict; false when it was recorded before (a replay). */
  recordVerdict(verdict: Verdict): Promise<boolean>;
  markSubmissionScanned(s: {
    id: string;
    tenantId: string;
    sha256: string;
    decision: string;
    scannedAt: string;
  }): Promise<void>;
  /** Where a submission stands (null: no intake or worker recorded it). */
  scanState(submissionId: string): Promise<SubmissionScanState | null>;
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
          verdictRecorded: (eventId) => verdictRecorded(c, eventId),
          checkVerdict: (claimed) => checkVerdict(c, claimed),
          recordVerdict: (verdict) => recordVerdict(c, verdict),
          markSubmissionScanned: async (s) => {
            await markSubmissionScanned(c, s);
          },
          blockingSubscribers: () => listBlockingSubscribers(c),
          platformForHost: (host) => platformForHost(c, host),
          openOrder: effects.openOrder,
          announceOrder: effects.announceOrder,
          openCase: effects.openCase,
          audit: effects.audit,
          scanState: (submissionId) => submissionScanState(c, submissionId),
          recordClassification: (input) => recordSubmissionClassification(c, input),
        });
        await effects.appendHeldAudit();
        return result;
      }),
  };
}
