import type { CaseToOpen } from '@mod/policy';
import { appendAuditBatch, type AuditEntry } from './audit.js';
import { enqueueOrderIssued, type OrderTopics } from './order-announce.js';
import { openCaseIfAwaited } from './order-cases.js';
import { openOrder, type OrderInput } from './order-issue.js';
import { getOrder } from './order-reads.js';
import type { Queryable } from './pool.js';

/**
 * What applying a decision writes, on one transaction's client: `@mod/policy`'s `DecisionEffects` on PostgreSQL,
 * shared by the actioner (policy's decisions) and the API (people's decisions on cases), so both issue orders the
 * same way. Audit records are held and appended together by `appendHeldAudit` just before the caller commits, so
 * the audit log's global lock is held only at the end of the transaction.
 */
export interface PgDecisionEffects {
  /** Opens the order, or finds the open order it folds into (`created: false`). */
  openOrder: (order: OrderInput) => Promise<{ id: string; created: boolean }>;
  /** Enqueues a new order's announcement: the blocking/takedown message and the target's webhook. */
  announceOrder: (orderId: string, at: Date) => Promise<void>;
  /**
   * Opens a case for people, or finds the one of the same submission and kind (`created: false`; `reopened`: a
   * closed confirmation case opened again, `openCase`); null for a confirmation case none of whose orders awaits
   * an authority (they folded into orders confirmed already).
   */
  openCase: (c: CaseToOpen) => Promise<{ id: string; created: boolean; reopened: boolean } | null>;
  /** Holds an audit record until `appendHeldAudit`. */
  audit: (record: AuditEntry) => Promise<void>;
  /** Appends every held record (call last, in the same transaction). */
  appendHeldAudit: () => Promise<void>;
}

export function decisionEffectsOn(c: Queryable, topics: OrderTopics): PgDecisionEffects {
  const records: AuditEntry[] = [];
  return {
    openOrder: (order) => openOrder(c, order),
    announceOrder: async (orderId, at) => {
      const order = await getOrder(c, orderId, { all: true }, at);
      if (order === null) throw new Error('order vanished inside its own transaction');
      await enqueueOrderIssued(c, { topics, order, now: at });
    },
    openCase: (input) => openCaseIfAwaited(c, input),
    audit: async (record) => {
      records.push(record);
    },
    appendHeldAudit: async () => {
      if (records.length > 0) await appendAuditBatch(c, records.splice(0));
    },
  };
}
