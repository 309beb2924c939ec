import type { Verdict } from '@mod/contracts';
import type { Queryable } from './pool.js';
import { submissionScannedUpdate } from './submission-scanned.js';

/** Whether this verdict event was recorded already (a replay). */
export async function verdictRecorded(db: Queryable, eventId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* actioner:verdict-recorded */ select 1 from verdicts where event_id = $1`,
    [eventId],
  );
  return rowCount === 1;
}

/** A verdict's row as `recordVerdict` and `recordScannedVerdict` insert it, once per event ($1 to $8). */
const INSERT_VERDICT = `insert into verdicts (event_id, submission_id, tenant_id, decision, hashes, hits, scanned_at,
  scanner_version) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (event_id) do nothing`;
const verdictParams = (v: Verdict) => [
  v.eventId,
  v.submissionId,
  v.tenantId,
  v.decision,
  JSON.stringify(v.hashes),
  JSON.stringify(v.hits),
  v.scannedAt,
  v.scannerVersion,
];

/** Stores a verdict once. Returns false when this verdict event was already recorded (a replay). */
export async function recordVerdict(db: Queryable, v: Verdict): Promise<boolean> {
  const { rowCount } = await db.query(`/* actioner:record-verdict */ ${INSERT_VERDICT}`, verdictParams(v));
  return rowCount === 1;
}

/**
 * `recordVerdict` and, when it recorded the verdict, `markSubmissionScanned` with the verdict's SHA-256, decision
 * and scan time, in one statement (one round trip: the actioner does this for every verdict). Returns false when
 * the verdict event was already recorded (a replay): the submission is then left as it is.
 */
export async function recordScannedVerdict(db: Queryable, v: Verdict): Promise<boolean> {
  const { rows } = await db.query<{ recorded: boolean }>(
    `/* actioner:record-scanned-verdict */ with recorded as (${INSERT_VERDICT} returning 1),
     scanned as (${submissionScannedUpdate({ id: '$2', tenantId: '$3', decision: '$4', scannedAt: '$7', sha256: '$9' })}
       and exists (select from recorded) returning 1)
     select exists (select from recorded) as recorded`,
    [...verdictParams(v), v.hashes.sha256],
  );
  return rows[0]?.recorded === true;
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
