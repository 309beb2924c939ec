import type { AuditEntry } from '@mod/audit';
import { appendAuditBatch } from './audit.js';
import { HELD_SEQS } from './audit-holds.js';
import { withTransaction, type Pool, type PoolClient, type Queryable } from './pool.js';

/**
 * Days an audit record's free text (`audit_texts`: its reason) is kept by default before the retention pass erases
 * it: two years, longer than any personal data it may speak of is kept elsewhere (a report's text, 365 days after
 * its outcome), so a reason still explains a decision while that decision can be looked into. The record itself (who,
 * what, when, the salted commitment) is kept for ever.
 */
export const AUDIT_TEXT_RETENTION_DEFAULT_DAYS = 730;

/** Options of `eraseExpiredAuditTexts`. */
export interface AuditTextRetentionOptions {
  /** Texts of records appended at or before this time are due (now less the retention). */
  before: Date;
  /** The retention in days, as the erasure records state it. */
  retentionDays: number;
  /** Most texts one transaction erases (each with its own `audit.text_erased` record). */
  batchSize: number;
  /** Batches one call runs at most, so that a backlog never holds the caller for long. Default 20. */
  maxBatches?: number;
  /** Who erases: the service's pass, or the operator running `modctl`. */
  actor: AuditEntry['actor'];
  role?: string | null;
}

/** What one call of `eraseExpiredAuditTexts` did. */
export interface AuditTextRetentionOutcome {
  /** Texts erased, each with its `audit.text_erased` record. */
  erased: number;
  /** Another runner held the pass (its lock) at some batch: this call stopped there and left the rest to it. */
  skipped: boolean;
  /** The last batch was full when `maxBatches` ran out: more may be due now. */
  more: boolean;
}

/** What is due now, without erasing (`modctl audit erase-expired-texts --dry-run`). */
export interface ExpiredAuditTexts {
  /** Kept texts of records at or before `before` that the pass would erase. */
  due: number;
  /** Kept texts as old that a legal hold keeps. */
  held: number;
}

/** One pass at a time across every process on this schema (each batch's transaction tries it, never waits). */
const PASS_LOCK = 'mod-audit-text-retention';

const tryPassLock = async (c: PoolClient): Promise<boolean> => {
  const { rows } = await c.query<{ locked: boolean }>(
    `/* audit:text-retention-lock */ select pg_try_advisory_xact_lock(hashtext($1 || ':' || current_schema())) as locked`,
    [PASS_LOCK],
  );
  return rows[0]?.locked === true;
};

/**
 * One batch in one transaction: under the pass's lock, erases up to `batchSize` due texts (oldest records first;
 * `skip locked`: a text an administrator is erasing right now is left to that erasure) and appends one
 * `audit.text_erased` record per text, naming its record, as `verifyStoredLog` requires. Null: another runner holds
 * the pass. `fromSeq`: where the call's previous batch ended (all before it is erased or kept), so a pass does not
 * read its own erasures again. Answers how many, and the last record's seq. The kept texts are read through their
 * partial index (`audit_texts_kept`, migration 0050), each one's record looked up by seq: a join with
 * `audit_records` was planned as a merge join from the first record, past every record whose text is erased.
 */
async function eraseBatch(
  pool: Pool,
  o: AuditTextRetentionOptions,
  fromSeq: number,
): Promise<{ erased: number; lastSeq: number } | null> {
  return withTransaction(pool, async (c) => {
    if (!(await tryPassLock(c))) return null;
    const { rows } = await c.query<{ seq: string; field: string }>(
      `/* audit:text-retention-erase */ with ${HELD_SEQS},
       due as (select t.seq, t.field from audit_texts t
         where t.seq >= $4 and t.erased_at is null and t.seq not in (select seq from held)
           and (select a.recorded_at from audit_records a where a.seq = t.seq) <= $1
         order by t.seq, t.field limit $2 for update of t skip locked)
       update audit_texts x set text = null, salt = null,
         erased_at = date_trunc('milliseconds', clock_timestamp()), erased_by = $3
       from due where x.seq = due.seq and x.field = due.field and x.erased_at is null
       returning x.seq::text as seq, x.field`,
      [o.before, o.batchSize, `${o.actor.kind}:${o.actor.id}`, fromSeq],
    );
    const erased = rows.sort((a, b) => Number(a.seq) - Number(b.seq) || a.field.localeCompare(b.field));
    // No reason of its own: an erasure record with a text would itself expire, and be erased with another record.
    await appendAuditBatch(
      c,
      erased.map((r) => ({
        actor: o.actor,
        role: o.role ?? null,
        action: 'audit.text_erased',
        subject: { type: 'audit_record', id: r.seq },
        reason: null,
        evidence: { field: r.field, retentionDays: o.retentionDays },
      })),
    );
    return { erased: erased.length, lastSeq: Number(erased.at(-1)?.seq ?? fromSeq) };
  });
}

/**
 * Erases the free texts kept beside audit records appended at or before `before`, batch after batch (each its own
 * transaction, under a lock one runner takes at a time: a second runner, another API replica or `modctl`, stops
 * at once and leaves the work to the first), until nothing more is due or `maxBatches` ran. Never a text a legal
 * hold keeps (a held report or evidence item, see `HELD_SEQS`); never a legacy record's (its text is in the log).
 * Each erasure has its own `audit.text_erased` record, so the stored log still verifies.
 */
export async function eraseExpiredAuditTexts(
  pool: Pool,
  o: AuditTextRetentionOptions,
): Promise<AuditTextRetentionOutcome> {
  const maxBatches = o.maxBatches ?? 20;
  let erased = 0;
  let fromSeq = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const done = await eraseBatch(pool, o, fromSeq);
    if (done === null) return { erased, skipped: true, more: true };
    erased += done.erased;
    fromSeq = done.lastSeq;
    if (done.erased < o.batchSize) return { erased, skipped: false, more: false };
  }
  return { erased, skipped: false, more: true };
}

/** The texts `eraseExpiredAuditTexts` would erase now (`due`) and those as old a legal hold keeps (`held`). */
export async function countExpiredAuditTexts(db: Queryable, before: Date): Promise<ExpiredAuditTexts> {
  const { rows } = await db.query<{ due: string; held: string }>(
    `/* audit:text-retention-count */ with ${HELD_SEQS}
     select count(*) filter (where t.seq not in (select seq from held)) as due,
       count(*) filter (where t.seq in (select seq from held)) as held
     from audit_texts t join audit_records a on a.seq = t.seq
     where t.erased_at is null and a.recorded_at <= $1`,
    [before],
  );
  return { due: Number(rows[0]?.due ?? 0), held: Number(rows[0]?.held ?? 0) };
}

/** `before` for a retention of `days` at `now`. */
export const retentionCutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * 86_400_000);
