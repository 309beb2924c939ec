import { randomUUID } from 'node:crypto';
import type { Verdict } from '@mod/contracts';
import type { SubmissionScanState } from '@mod/db/submissions';
import type { AuditIntent, CaseToOpen, OrderToOpen } from '@mod/policy';
import type { ActionStore, ActionTx } from './action-store.js';
import { VerdictRefusal } from './verdict-check.js';

/** What the in-memory store holds; a transaction works on a copy that replaces it only on success. */
export interface MemoryState {
  /** `source`: how it came (as `submissions.source`); `kafka` (a platform's own topic) when not said. */
  submissions: Map<string, SubmissionScanState & { classification?: unknown; source?: string }>;
  verdicts: Map<string, Verdict>;
  orders: { id: string; order: OrderToOpen }[];
  announced: string[];
  cases: { id: string; input: CaseToOpen }[];
  audit: AuditIntent[];
  subscribers: string[];
  platformHosts: Map<string, string>;
}

function copy(s: MemoryState): MemoryState {
  return {
    submissions: new Map([...s.submissions].map(([k, v]) => [k, { ...v }])),
    verdicts: new Map(s.verdicts),
    orders: [...s.orders],
    announced: [...s.announced],
    cases: [...s.cases],
    audit: [...s.audit],
    subscribers: [...s.subscribers],
    platformHosts: new Map(s.platformHosts),
  };
}

/**
 * Opens at most one of a kind, as the database's unique index of open orders (or cases) does: the open one's id,
 * or a new one's.
 */
function openOnce<T extends { id: string }>(
  open: T[],
  isSame: (x: T) => boolean,
  create: (id: string) => T,
): { id: string; created: boolean } {
  const existing = open.find(isSame);
  if (existing !== undefined) return { id: existing.id, created: false };
  const id = randomUUID();
  open.push(create(id));
  return { id, created: true };
}

/**
 * The actioner's store in memory, for unit tests of its steps: all-or-nothing transactions, orders folding into
 * the open order of the same kind, subject and target, one case per submission and kind. The verdict check is the
 * database's first two (the submission exists and is the verdict's tenant's); the rest is tested on PostgreSQL.
 * `failOn` makes an operation throw, as a database outage would, after the work before it.
 */
export function memoryActionStore(initial: Partial<MemoryState> = {}) {
  let state: MemoryState = {
    submissions: new Map(),
    verdicts: new Map(),
    orders: [],
    announced: [],
    cases: [],
    audit: [],
    subscribers: [],
    platformHosts: new Map(),
    ...initial,
  };
  /** `failOn`: every call of that operation throws; `failSubmission`: checking that submission's verdict throws. */
  const faults: { failOn?: keyof ActionTx; failSubmission?: string } = {};
  const counts = { transactions: 0, committed: 0 };
  const fault = (op: keyof ActionTx) => {
    if (faults.failOn === op) throw new Error(`connection terminated during ${op}`);
  };

  const store: ActionStore = {
    async transaction(work) {
      counts.transactions++;
      const s = copy(state);
      const tx: ActionTx = {
        async checkVerdict(claimed) {
          fault('checkVerdict');
          if (s.verdicts.has(claimed.eventId)) return 'recorded';
          if (faults.failSubmission === claimed.submissionId) throw new Error('poison verdict');
          const sub = s.submissions.get(claimed.submissionId);
          if (sub === undefined)
            return { ok: false, code: VerdictRefusal.UnknownSubmission, message: 'no such submission' };
          if (sub.tenantId !== claimed.tenantId)
            return { ok: false, code: VerdictRefusal.TenantMismatch, message: 'another tenant' };
          return { ok: true, verdict: claimed, source: sub.source ?? 'kafka' };
        },
        async recordVerdict(v) {
          fault('recordVerdict');
          if (s.verdicts.has(v.eventId)) return false;
          s.verdicts.set(v.eventId, v);
          const sub = s.submissions.get(v.submissionId);
          if (sub !== undefined && sub.tenantId === v.tenantId)
            Object.assign(sub, { status: 'scanned', decision: v.decision, sha256: v.hashes.sha256 });
          return true;
        },
        blockingSubscribers: async () => (fault('blockingSubscribers'), [...s.subscribers]),
        platformForHost: async (host) => (fault('platformForHost'), s.platformHosts.get(host) ?? null),
        async openOrder(order) {
          fault('openOrder');
          return openOnce(
            s.orders,
            (o) =>
              o.order.kind === order.kind &&
              o.order.subjectType === order.subjectType &&
              o.order.subjectValue === order.subjectValue &&
              o.order.targetTenantId === order.targetTenantId,
            (id) => ({ id, order }),
          );
        },
        async announceOrder(orderId) {
          fault('announceOrder');
          s.announced.push(orderId);
        },
        async openCase(input) {
          fault('openCase');
          return openOnce(
            s.cases,
            (c) => c.input.submissionId === input.submissionId && c.input.kind === input.kind,
            (id) => ({ id, input }),
          );
        },
        async audit(record) {
          fault('audit');
          s.audit.push(record);
        },
        // Every tenant of these tests is in standing: its refusal is tested on PostgreSQL.
        tenantStanding: () => Promise.resolve({ kind: 'platform', disabled: false }),
        scanState: async (id) => {
          fault('scanState');
          const sub = s.submissions.get(id);
          return sub === undefined ? null : { ...sub };
        },
        async recordClassification(x) {
          fault('recordClassification');
          const sub = s.submissions.get(x.id);
          if (sub === undefined || sub.classifiedAt !== null) return false;
          Object.assign(sub, { classifiedAt: x.classifiedAt, classification: x.classification });
          return true;
        },
      };
      const result = await work(tx);
      state = s;
      counts.committed++;
      return result;
    },
  };
  return { store, state: () => state, faults, counts };
}
