import {
  EvidenceStates,
  destroyedRecord,
  destructionDue,
  destructionRule,
  type CaseClosing,
  type CaseLink,
  type EvidenceState,
  type RetentionPolicy,
  type SweepReport,
  type VaultActor,
} from '@mod/vault';
import { appendAuditBatch } from './audit.js';
import { EVIDENCE_COLUMNS, toEvidenceItem, type EvidenceRow } from './evidence-rows.js';
import { withTransaction, type Pool, type Queryable } from './pool.js';

/**
 * Names the case a submission's evidence is for, in the caller's transaction: retention waits for the case to
 * close. Linking a closed item again (a case reopened, or a new one) stops its clock. Answers the items changed.
 * A row inserted into `cases` does this by itself (trigger `cases_evidence_follow`, migration 0018).
 */
export async function linkEvidenceToCase(db: Queryable, link: CaseLink): Promise<number> {
  const { rowCount } = await db.query(
    `/* vault:link-case */ update evidence_items set case_id = $2, linked_at = $3, case_closed_at = null
     where submission_id = $1 and destroyed_at is null
       and (case_id is distinct from $2 or case_closed_at is not null)`,
    [link.submissionId, link.caseId, link.at],
  );
  return rowCount ?? 0;
}

/**
 * Starts the retention clock of a case's evidence (or a submission's) at `closing.at`, in the caller's transaction.
 * Items already closed keep their first closing. Answers the items changed. A case whose `status` becomes
 * `closed` does this by itself (trigger `cases_evidence_follow`), and reopening it stops the clock again.
 */
export async function closeEvidenceCase(db: Queryable, closing: CaseClosing): Promise<number> {
  const byCase = 'caseId' in closing;
  const { rowCount } = await db.query(
    `/* vault:close-case */ update evidence_items set case_closed_at = $2
     where ${byCase ? 'case_id = $1' : 'submission_id = $1 and case_id is not null'}
       and case_closed_at is null and destroyed_at is null`,
    [byCase ? closing.caseId : closing.submissionId, closing.at],
  );
  return rowCount ?? 0;
}

export interface SweepOptions {
  policy: RetentionPolicy;
  now: Date;
  /** Who destroys (the service that sweeps), named in each custody record. */
  by: VaultActor;
  /** Most items destroyed in this pass (one transaction). */
  batchSize: number;
}

/**
 * One retention pass in one transaction: locks up to `batchSize` items whose retention ended (`for update skip
 * locked`, so several actioners share the work without waiting on each other), checks each against the pure rule
 * (`destructionDue`), sets their bytes, nonces, tags and wrapped key to null and stamps `destroyed_at`, and
 * appends a custody record for each. Items under legal hold are never selected.
 */
export async function sweepEvidence(pool: Pool, o: SweepOptions): Promise<SweepReport> {
  return withTransaction(pool, async (c) => {
    const { rows } = await c.query<EvidenceRow>(
      `/* actioner:vault-sweep */ select ${EVIDENCE_COLUMNS} from evidence_items e
       where e.destroyed_at is null and e.hold_at is null
         and ((e.case_closed_at is not null and e.case_closed_at <= $1::timestamptz - make_interval(secs => $2))
           or (e.case_id is null and e.created_at <= $1::timestamptz - make_interval(secs => $3)))
       order by e.id limit $4 for update of e skip locked`,
      [o.now, o.policy.afterCaseClosedHours * 3600, o.policy.unlinkedHours * 3600, o.batchSize],
    );
    const due = rows.map(toEvidenceItem).filter((item) => destructionDue(item, o.policy, o.now));
    if (due.length === 0) return { destroyed: 0, ids: [] };
    const ids = due.map((item) => item.id);
    await c.query(
      `/* actioner:vault-destroy */ update evidence_items set ciphertext = null, data_nonce = null, data_tag = null,
         wrapped_key = null, key_nonce = null, key_tag = null, destroyed_at = $2
       where id = any($1::uuid[])`,
      [ids, o.now],
    );
    await appendAuditBatch(
      c,
      due.map((item) =>
        destroyedRecord({ ...item, destroyedAt: o.now.toISOString() }, o.by, destructionRule(item, o.policy)),
      ),
    );
    return { destroyed: ids.length, ids };
  });
}

/** How many items stand in each state (every state present, zero included). */
export async function countEvidenceByState(db: Queryable): Promise<Record<EvidenceState, number>> {
  const { rows } = await db.query<{ state: EvidenceState; n: number }>(
    `/* vault:count-by-state */ select case when destroyed_at is not null then 'destroyed'
         when hold_at is not null then 'legal-hold' when case_id is null then 'unlinked'
         when case_closed_at is null then 'in-case' else 'case-closed' end as state, count(*)::int as n
     from evidence_items group by 1`,
  );
  const counts = Object.fromEntries(EvidenceStates.map((s) => [s, 0])) as Record<EvidenceState, number>;
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}
