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

/** A verdict's submission as the actioner checks the verdict against it (`readVerdictSubmission`). */
export interface VerdictSubmission {
  /** This verdict event was recorded before (a replay). */
  recorded: boolean;
  /** Null: no such submission. */
  tenant_id: string | null;
  sha256: string | null;
  url: string | null;
  source: string | null;
  tenant_disabled: boolean | null;
}

/**
 * The submission `v` names and whether `v` was recorded before, in one round trip; with `recordIfClean` (a verdict
 * without hits, which needs nothing more checked), `v` is also recorded with its submission scanned
 * (`recordScannedVerdict`) in the same statement when the row allows it: not recorded before, the submission of
 * `v`'s tenant, that tenant enabled, and `v`'s SHA-256 (when the submission has one) and URL the submission's.
 * `recordedNow` says whether it was (false too when a concurrent transaction recorded the same event first).
 */
export async function readVerdictSubmission(
  db: Queryable,
  v: Verdict,
  recordIfClean: boolean,
): Promise<{ submission: VerdictSubmission | undefined; recordedNow: boolean }> {
  const { rows } = await db.query<VerdictSubmission & { recorded_now: boolean }>(
    `/* actioner:verdict-submission */ with c as (
       select exists (select from verdicts where event_id = $1) as recorded, s.tenant_id, s.sha256, s.url, s.source,
         t.disabled_at is not null as tenant_disabled
       from (select) as one left join submissions s on s.id = $2 left join tenants t on t.id = s.tenant_id
     ), recorded as (
       insert into verdicts (event_id, submission_id, tenant_id, decision, hashes, hits, scanned_at, scanner_version)
       select $1, $2, $3, $4, $5, $6, $7, $8
       where $11::boolean and exists (select from c where not c.recorded and c.tenant_id = $3
         and not c.tenant_disabled and (c.sha256 is null or c.sha256 = $9) and c.url is not distinct from $10)
       on conflict (event_id) do nothing returning 1
     ), scanned as (${submissionScannedUpdate({ id: '$2', tenantId: '$3', decision: '$4', scannedAt: '$7', sha256: '$9' })}
       and exists (select from recorded) returning 1)
     select c.*, exists (select from recorded) as recorded_now from c`,
    [...verdictParams(v), v.hashes.sha256, v.url ?? null, recordIfClean],
  );
  const row = rows[0];
  if (row === undefined) return { submission: undefined, recordedNow: false };
  const { recorded_now, ...submission } = row;
  return { submission, recordedNow: recorded_now };
}
