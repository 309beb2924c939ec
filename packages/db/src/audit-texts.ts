import pg from 'pg';
import { checkRecordTexts, decodeRecord, isErasable, type AuditRecord, type RecordText } from '@mod/audit';
import { appendAudit, type StoredAuditRecord } from './audit.js';
import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import { auditRecordHeld } from './audit-holds.js';
import { withTransaction, type Queryable } from './pool.js';

/** What `eraseAuditText` erases, who asks and why (the why goes into the erasure record, itself erasable). */
export interface EraseAuditTextInput {
  seq: number;
  field: string;
  /** Who erases: recorded on the row (`erased_by`) and as the actor of the `audit.text_erased` record. */
  actor: { kind: 'user' | 'person' | 'service' | 'policy'; id: string };
  role?: string | null;
  reason?: string | null;
}

/** The erasure: when, and the `audit.text_erased` record appended with it (null: erased before, nothing done). */
export interface AuditTextErasure {
  seq: number;
  field: string;
  erasedAt: string;
  record: StoredAuditRecord | null;
}

/**
 * Erases the free text `field` of record `seq`: its text and salt are nulled (the record, which holds only the
 * salted commitment, still verifies; without the salt nothing is left to guess the text from) and an
 * `audit.text_erased` record naming the record and the field is appended, in one transaction. A text already
 * erased answers its erasure (`record` null: nothing done again). A record that does not exist, a legacy record
 * (its text inside the hashed bytes) or a field it commits to no text for: MOD_ERR_AUDIT_LOG_NOT_ERASABLE. A text
 * a legal hold keeps (its record indexed under a held report or evidence item, as the retention pass keeps it):
 * MOD_ERR_AUDIT_LOG_TEXT_HELD, nothing erased, until the hold is released.
 */
export async function eraseAuditText(db: Queryable, input: EraseAuditTextInput): Promise<AuditTextErasure> {
  if (db instanceof pg.Pool) return withTransaction(db, (c) => eraseAuditText(c, input));
  const { rows: found } = await db.query<{ record: string }>(
    `/* audit:text-record */ select record from audit_records where seq = $1`,
    [input.seq],
  );
  const row = found[0];
  const record = row === undefined ? null : decodeRecord(row.record).record;
  if (record === null || !isErasable(record, input.field)) {
    throw new AuditLogError(
      AuditLogErrorCode.NOT_ERASABLE,
      record === null
        ? `audit record ${input.seq} does not exist`
        : `audit record ${input.seq} has no erasable ${input.field} (a legacy record holds its text in the log)`,
    );
  }
  const { rows } = await db.query<{ erased_at: Date }>(
    `/* audit:text-erase */ update audit_texts set text = null, salt = null,
       erased_at = date_trunc('milliseconds', clock_timestamp()), erased_by = $3
     where seq = $1 and field = $2 and erased_at is null and not ${auditRecordHeld('$1')} returning erased_at`,
    [input.seq, input.field, `${input.actor.kind}:${input.actor.id}`],
  );
  const erasedAt = rows[0]?.erased_at;
  if (erasedAt === undefined) {
    const { rows: before } = await db.query<{ erased_at: Date | null }>(
      `/* audit:text-erased */ select erased_at from audit_texts where seq = $1 and field = $2`,
      [input.seq, input.field],
    );
    const at = before[0]?.erased_at;
    if (at === undefined)
      throw new AuditLogError(
        AuditLogErrorCode.NOT_ERASABLE,
        `audit record ${input.seq} has no ${input.field} kept`,
      );
    // Kept, yet not erased by the update: a legal hold keeps it.
    if (at === null)
      throw new AuditLogError(
        AuditLogErrorCode.TEXT_HELD,
        `the ${input.field} of audit record ${input.seq} is kept by a legal hold (a held report or evidence item it is about); release the hold first`,
      );
    return { seq: input.seq, field: input.field, erasedAt: at.toISOString(), record: null };
  }
  const appended = await appendAudit(db, {
    actor: input.actor,
    role: input.role ?? null,
    action: 'audit.text_erased',
    subject: { type: 'audit_record', id: String(input.seq) },
    reason: input.reason ?? null,
    evidence: { field: input.field },
  });
  return { seq: input.seq, field: input.field, erasedAt: erasedAt.toISOString(), record: appended };
}

/** The texts kept beside records `from..to-1` (`audit_texts`), by seq and field, as bundles carry them. */
export async function auditTextsOf(
  db: Queryable,
  seqs: readonly number[],
): Promise<Map<number, Record<string, RecordText>>> {
  const out = new Map<number, Record<string, RecordText>>();
  if (seqs.length === 0) return out;
  const { rows } = await db.query<{
    seq: number;
    field: string;
    text: string | null;
    salt: Buffer | null;
    erased_at: Date | null;
  }>(
    `/* audit:texts */ select seq, field, text, salt, erased_at from audit_texts
     where seq = any($1::bigint[]) order by seq, field`,
    [seqs],
  );
  for (const r of rows) {
    const value: RecordText =
      r.erased_at !== null
        ? { erasedAt: r.erased_at.toISOString() }
        : { text: r.text ?? '', salt: r.salt?.toString('hex') ?? '' };
    out.set(r.seq, { ...out.get(r.seq), [r.field]: value });
  }
  return out;
}

/**
 * What is wrong with the texts kept beside `records` (`verifyStoredLog`), or null: each kept text must hash
 * with its salt to its record's commitment, a row of a field the record commits to nothing for is refused, a
 * committed field must still have its row (kept or erased), and an erased one its `audit.text_erased` record.
 */
export async function checkStoredTexts(
  db: Queryable,
  records: readonly AuditRecord[],
): Promise<{ seq: number; message: string } | null> {
  const texts = await auditTextsOf(
    db,
    records.map((r) => r.seq),
  );
  for (const record of records) {
    const kept = texts.get(record.seq);
    const problem = checkRecordTexts(record, kept);
    if (problem !== null) return { seq: record.seq, message: problem };
    for (const field of Object.keys(record.commitments ?? {}))
      if (kept?.[field] === undefined)
        return { seq: record.seq, message: `text ${field} of record ${record.seq} is gone from audit_texts` };
  }
  // An erasure is itself on record (`eraseAuditText` appends `audit.text_erased` in its transaction): a text
  // erased without one was erased behind the log's back (the application role may erase, by the table's trigger).
  const erased = [...texts].flatMap(([seq, fields]) =>
    Object.values(fields).some((t) => 'erasedAt' in t) ? [String(seq)] : [],
  );
  if (erased.length === 0) return null;
  const { rows } = await db.query<{ id: string }>(
    `/* audit:text-erasures */ select distinct record::jsonb #>> '{subject,id}' as id from audit_records
     where record::jsonb ->> 'action' = 'audit.text_erased' and record::jsonb #>> '{subject,type}' = 'audit_record'
       and record::jsonb #>> '{subject,id}' = any($1::text[])`,
    [erased],
  );
  const recorded = new Set(rows.map((r) => r.id));
  const silent = erased.find((seq) => !recorded.has(seq));
  return silent === undefined
    ? null
    : {
        seq: Number(silent),
        message: `the text of record ${silent} was erased with no audit.text_erased record naming it`,
      };
}
