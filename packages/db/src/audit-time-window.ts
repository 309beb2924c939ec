import { decodeRecord, hashesEqual } from '@mod/audit';
import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import type { Queryable } from './pool.js';

/**
 * The seq range [from, to] of the records appended in [window.from, window.to) among the first `size`, by
 * `recorded_at` (indexed); empty (to < from) at the place the window falls when none is.
 */
export async function seqRangeOfTime(
  db: Queryable,
  window: { from: Date; to: Date },
  size: number,
): Promise<{ from: number; to: number }> {
  const { rows } = await db.query<{ lo: number | null; hi: number | null }>(
    `/* audit:time-range */ select min(seq) as lo, max(seq) as hi from audit_records
     where recorded_at >= $1 and recorded_at < $2 and seq < $3`,
    [window.from, window.to, size],
  );
  const lo = rows[0]?.lo ?? null;
  if (lo !== null) return { from: lo, to: rows[0]?.hi ?? lo };
  // No record by recorded_at: the window lies between the last record before it and the first after.
  const { rows: after } = await db.query<{ seq: number }>(
    `/* audit:time-next */ select seq from audit_records where recorded_at >= $1 and seq < $2
     order by recorded_at, seq limit 1`,
    [window.from, size],
  );
  const next = after[0]?.seq ?? size;
  return { from: next, to: next - 1 };
}

/**
 * Throws MOD_ERR_AUDIT_LOG_INCONSISTENT unless the seq range [from, to] (empty when to < from) that `recorded_at`
 * gave a time-range export is the one the records' own times give: `recorded_at` is a copy beside the record that
 * the tree does not cover, so whoever holds the database could move a record out of (or into) the window asked
 * for, and the signed scope would say the bundle holds the whole window. Every record of the range and its two
 * neighbours inside the tree must carry its `recorded_at` as its own time, and the neighbours (which the bundle
 * does not hold, so no verifier sees them) must hash to their leaves: then the window's edges are the records'
 * word, appended in time order. And the record after the window must be inside the tree (else
 * MOD_ERR_AUDIT_LOG_OUT_OF_RANGE): records take their time and seq together under the append lock, so only a record
 * of the tree at or past the window's end proves that none appended later can still fall inside it. Without one (a
 * window running past the signed records, into the future) the signed scope would say the bundle holds the whole
 * window, and a bundle signed after the next append the same of other records.
 */
export async function requireRecordedTimes(
  db: Queryable,
  from: number,
  to: number,
  size: number,
): Promise<void> {
  const lo = Math.max(0, from - 1);
  const hi = Math.min(size - 1, to + 1);
  if (hi >= lo) await requireEdges(db, from, to, lo, hi);
  if (to + 1 >= size)
    throw new AuditLogError(
      AuditLogErrorCode.OUT_OF_RANGE,
      `no record after the window is in the signed tree of ${size} records yet: records appended later could still fall inside it; export it once a signed head holds a later record`,
    );
}

/** The checks of `requireRecordedTimes` on the records `lo..hi` (the window `from..to` and its neighbours). */
async function requireEdges(db: Queryable, from: number, to: number, lo: number, hi: number): Promise<void> {
  const { rows } = await db.query<{ seq: number; record: string; recorded_at: Date; leaf: Buffer | null }>(
    `/* audit:time-check */ select r.seq, r.record, r.recorded_at, n.hash as leaf from audit_records r
     left join audit_merkle_nodes n on n.level = 0 and n.idx = r.seq
     where r.seq between $1 and $2 order by r.seq`,
    [lo, hi],
  );
  const refuse = (why: string) =>
    new AuditLogError(
      AuditLogErrorCode.INCONSISTENT,
      `${why}: the log was changed behind its tree, and a time-range export would misstate the window`,
    );
  if (rows.length !== hi - lo + 1) throw refuse(`records ${lo}..${hi} are not all there`);
  for (const row of rows) {
    const edge = row.seq < from || row.seq > to;
    let decoded;
    try {
      decoded = decodeRecord(row.record);
    } catch {
      // A record inside the window that no longer decodes goes into the bundle, where the verifier names it.
      if (edge) throw refuse(`record ${row.seq} at the window's edge is not a valid record`);
      continue;
    }
    if (Date.parse(decoded.record.time) !== row.recorded_at.getTime())
      throw refuse(
        `record ${row.seq} was recorded at ${decoded.record.time}, not ${row.recorded_at.toISOString()}`,
      );
    if (edge && (row.leaf === null || !hashesEqual(decoded.leafHash, row.leaf)))
      throw refuse(`record ${row.seq} at the window's edge does not hash to its leaf`);
  }
}
