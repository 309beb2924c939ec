import type { Verdict } from '@mod/contracts';
import type { Queryable } from './pool.js';

/** Whether this verdict event was recorded already (a replay). */
export async function verdictRecorded(db: Queryable, eventId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* actioner:verdict-recorded */ select 1 from verdicts where event_id = $1`,
    [eventId],
  );
  return rowCount === 1;
}

/** Stores a verdict once. Returns false when this verdict event was already recorded (a replay). */
export async function recordVerdict(db: Queryable, v: Verdict): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* actioner:record-verdict */ insert into verdicts (event_id, submission_id, tenant_id, decision, hashes, hits,
       scanned_at, scanner_version) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (event_id) do nothing`,
    [
      v.eventId,
      v.submissionId,
      v.tenantId,
      v.decision,
      JSON.stringify(v.hashes),
      JSON.stringify(v.hits),
      v.scannedAt,
      v.scannerVersion,
    ],
  );
  return rowCount === 1;
}

export async function listVerdictsForSubmission(
  db: Queryable,
  submissionId: string,
): Promise<Verdict['decision'][]> {
  const { rows } = await db.query<{ decision: Verdict['decision'] }>(
    `/* api:verdicts-for-submission */ select decision from verdicts where submission_id = $1 order by recorded_at`,
    [submissionId],
  );
  return rows.map((r) => r.decision);
}
