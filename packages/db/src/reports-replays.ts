import type { Queryable } from './pool.js';
import { ensurePublicReportsTenant, PUBLIC_REPORTS_TENANT } from './reports.js';

/** A report's first answer to an Idempotency-Key, sealed by the API (`sealed` under the contact key `keyId`). */
export interface ReportReplay {
  reportId: string;
  sealed: Buffer;
  keyId: string;
}

/**
 * Takes an Idempotency-Key of a tenant for the report `reportId` about to be filed in the caller's transaction,
 * until `expiresAt`: 'taken', or the answer kept for it by whoever took it first. The primary key decides, never a
 * read before the write: a concurrent request with the same key waits on the first's row until that transaction
 * ends, then replays its answer (or takes the key, if it rolled back). A key whose window ended (`now`) but that
 * the sweep has not deleted yet is taken anew.
 */
export async function takeReportReplayKey(
  db: Queryable,
  k: { tenantId: string; idempotencyKey: string; reportId: string; expiresAt: Date; now: Date },
): Promise<'taken' | ReportReplay> {
  // The public form's first report may come with a key (its form token's): its tenant must exist for the row.
  if (k.tenantId === PUBLIC_REPORTS_TENANT) await ensurePublicReportsTenant(db);
  const { rowCount } = await db.query(
    `/* reports:replay-take */ insert into report_replays (tenant_id, idempotency_key, report_id, expires_at)
     values ($1, $2, $3, $4)
     on conflict (tenant_id, idempotency_key) do update
       set report_id = excluded.report_id, expires_at = excluded.expires_at, sealed = null, key_id = null
       where report_replays.expires_at <= $5`,
    [k.tenantId, k.idempotencyKey, k.reportId, k.expiresAt, k.now],
  );
  if (rowCount === 1) return 'taken';
  const { rows } = await db.query<{ report_id: string; sealed: Buffer | null; key_id: string | null }>(
    `/* reports:replay-read */ select report_id, sealed, key_id from report_replays
     where tenant_id = $1 and idempotency_key = $2`,
    [k.tenantId, k.idempotencyKey],
  );
  const r = rows[0];
  // The row that made the insert wait committed with its answer (the filing transaction seals it before commit).
  if (r === undefined || r.sealed === null || r.key_id === null)
    throw new Error('report idempotency key held without an answer');
  return { reportId: r.report_id, sealed: r.sealed, keyId: r.key_id };
}

/** Keeps the sealed answer for a key taken in the same transaction (`takeReportReplayKey`). */
export async function keepReportReplay(
  db: Queryable,
  k: { tenantId: string; idempotencyKey: string; sealed: Buffer; keyId: string },
): Promise<void> {
  await db.query(
    `/* reports:replay-keep */ update report_replays set sealed = $3, key_id = $4
     where tenant_id = $1 and idempotency_key = $2`,
    [k.tenantId, k.idempotencyKey, k.sealed, k.keyId],
  );
}

/**
 * Whether a public form token (its nonce) was taken already, by any API instance: a post bringing it again is the
 * same form sent again (Send pressed twice), answered by the first post's outcome and not charged to a rate limit
 * again. A read of one row by its key.
 */
export async function formTokenTaken(db: Queryable, nonce: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* reports:form-token-taken */ select 1 from report_form_tokens where nonce = $1`,
    [nonce],
  );
  return rowCount === 1;
}
