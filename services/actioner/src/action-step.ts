import { Codecs, type Verdict } from '@mod/contracts';
import { toDatabaseError } from '@mod/db';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import {
  evaluateVerdict,
  issuePlannedOrders,
  openPlannedCases,
  orderTargets,
  ordersFollow,
  verdictRecordedRecord,
  type PolicyConfig,
  type PlannedOrder,
  type PolicyDecision,
} from '@mod/policy';
import type { Counter, Logger } from '@mod/telemetry';
import type { ActionStore, ActionTx } from './action-store.js';
import { systemClock, type Clock } from './clock.js';
import { createGroupCommit } from './group-commit.js';

/** Test seams that simulate a crash at a precise point. */
export interface ActionFaults {
  /** Runs after the verdict's transaction committed and before the step reports success (a crash there). */
  afterCommit?: (submissionId: string) => void;
}

export interface ActionStepDeps {
  store: ActionStore;
  policy: PolicyConfig;
  orders: Pick<Counter<'kind'>, 'inc'>;
  logger: Logger;
  clock?: Clock;
  faults?: ActionFaults;
  /** Most verdicts one transaction takes when several wait (group commit). Default 1: a transaction each. */
  maxBatch?: number;
}

/**
 * Policy's decision on a verdict, with the targets it needs (subscribed ISPs, the hosting platform) looked up and
 * its URL's provenance (`source`: its submission's, as the database records it), which decides whether a takedown
 * may go to another platform than the submitter.
 */
async function decideVerdict(tx: ActionTx, verdict: Verdict, source: string, policy: PolicyConfig, at: Date) {
  const content = {
    url: verdict.url,
    subject: verdict.subject,
    submission: { tenantId: verdict.tenantId, source },
  };
  return evaluateVerdict(verdict, {
    policy,
    ...(await orderTargets(tx, content, ordersFollow(verdict.hits))),
    now: at,
  });
}

/** What one verdict led to, known once its transaction committed. */
interface Actioned {
  outcome: StepOutcome;
  /** Kinds of the orders this verdict opened (not those it folded into). */
  issued: PlannedOrder['kind'][];
  decision?: PolicyDecision;
  verdict?: Verdict;
}

/**
 * One verdict inside a transaction: check (a replay is dropped here), record with its submission's scan, decide,
 * open orders and cases, audit. A verdict that matched nothing takes one statement and its audit record.
 */
async function actOn(tx: ActionTx, claimed: Verdict, policy: PolicyConfig, at: Date): Promise<Actioned> {
  const replayed: Actioned = { outcome: { kind: 'drop', reason: 'verdict already recorded' }, issued: [] };
  const checked = await tx.checkVerdict(claimed);
  if (checked === 'recorded') return replayed;
  if (!checked.ok)
    return { outcome: { kind: 'dlq', code: checked.code, message: checked.message }, issued: [] };
  const verdict = checked.verdict;
  // A verdict without hits was recorded by its check, in the same statement (one round trip fewer).
  if (!(checked.recorded ?? (await tx.recordVerdict(verdict)))) return replayed;
  const decision = await decideVerdict(tx, verdict, checked.source, policy, at);
  await tx.audit(verdictRecordedRecord(verdict, decision, policy));
  const { orderIds, issued } = await issuePlannedOrders(tx, { decision, content: verdict, policy, at });
  await openPlannedCases(tx, {
    cases: decision.cases,
    evidence: decision.evidence,
    submissionId: verdict.submissionId,
    tenantId: verdict.tenantId,
    orderIds,
    policyVersion: policy.version,
    at,
  });
  return { outcome: { kind: 'ok' }, issued, decision, verdict };
}

/**
 * One verdict: in ONE transaction check it against the database (`checkVerdict`: a verdict the database does not
 * confirm is dead-lettered), record it, apply policy, open orders (duplicates fold) and cases, append
 * audit records and enqueue the outgoing messages (Kafka outbox and webhooks). Publishing happens after commit,
 * so a crash at any point neither loses nor duplicates an order. A replayed verdict is dropped. Verdicts handled
 * at the same time share a transaction (`createGroupCommit`, up to `maxBatch`); each gets its own outcome.
 */
export function createActionStep(deps: ActionStepDeps) {
  const clock = deps.clock ?? systemClock;
  const { policy } = deps;
  const group = createGroupCommit(deps.store, deps.maxBatch ?? 1);
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const claimed = Codecs.verdict.decode(m.value);
    let done: Actioned;
    try {
      done = await group.run((tx) => actOn(tx, claimed, policy, clock.now()));
    } catch (err) {
      throw toDatabaseError(err, 'action verdict');
    }
    for (const kind of done.issued) deps.orders.inc({ kind });
    if (done.decision !== undefined && done.verdict !== undefined)
      deps.logger.info(
        {
          submissionId: done.verdict.submissionId,
          decision: done.decision.outcome,
          hits: done.verdict.hits.length,
          orders: done.decision.orders.length,
          cases: done.decision.cases.length,
        },
        'verdict actioned',
      );
    if (done.issued.length > 0) deps.faults?.afterCommit?.(claimed.submissionId);
    return done.outcome;
  };
}
