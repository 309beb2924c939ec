/**
 * What a legal hold keeps of the audit log's free texts (`audit_texts`), shared by the retention pass
 * (`eraseExpiredAuditTexts`) and an administrator's erasure (`eraseAuditText`): a text is held while its record is
 * indexed (`audit_refs`: its subject id and the ids its evidence documents name) under an id a hold keeps.
 */

/**
 * The ids a legal hold keeps (`r` reports): a report an authority holds, its reported URLs' subjects, their review
 * cases, submissions and orders; an evidence item an authority holds, its case and submission, and the orders issued
 * for that submission.
 */
const HELD_REFS = `select r.id::text as ref from reports r where r.hold_at is not null
  union select x.ref from reports r join report_urls u on u.report_id = r.id
    join report_subjects s on s.id = u.subject_id
    cross join lateral (select s.id::text union all select s.case_id::text union all select s.submission_id::text
      union all select unnest(s.order_ids)::text) as x(ref)
    where r.hold_at is not null and x.ref is not null
  union select x.ref from evidence_items e
    cross join lateral (select e.id::text union all select e.case_id::text union all select e.submission_id::text
      union all select o.id::text from orders o where o.submission_id = e.submission_id) as x(ref)
    where e.hold_at is not null and x.ref is not null`;

/** A `with` entry `held`: the seqs of every record a legal hold keeps, through `audit_refs`' primary key (ref, seq). */
export const HELD_SEQS = `held as materialized (select distinct ar.seq from audit_refs ar where ar.ref in (${HELD_REFS}))`;

/** True when the record whose seq is the SQL expression `seq` (a parameter, a column) is kept by a legal hold. */
export const auditRecordHeld = (seq: string): string =>
  `exists (select 1 from audit_refs ar where ar.seq = ${seq} and ar.ref in (${HELD_REFS}))`;
