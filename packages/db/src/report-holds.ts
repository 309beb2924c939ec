import { releaseHoldRefusal, setHoldRefusal, type HoldRefusal, type HoldRequest } from '@mod/vault';
import { appendAudit } from './audit.js';
import { withTransaction, type Pool, type PoolClient } from './pool.js';

/**
 * A legal hold on a citizen's report (migration 0036): while set, the personal-data pass erases nothing of it
 * (`erasePersonalData`). Kept for the authority tenant that placed it, which alone (or an admin) releases it.
 */
export interface ReportLegalHold {
  /** Who placed it: a person's id, or the key or certificate that did. */
  by: string;
  /** The person's display name when `by` is a person. */
  byName: string | null;
  authorityTenantId: string;
  reason: string;
  at: Date;
}

/** The hold's columns of a report row `r` (`hold_by_name` from the people table). */
export const REPORT_HOLD_COLUMNS = `r.hold_by, r.hold_authority_tenant_id, r.hold_reason, r.hold_at,
  (select p.display_name from people p where p.id::text = r.hold_by) as hold_by_name`;

export interface ReportHoldRow {
  hold_by: string | null;
  hold_by_name: string | null;
  hold_authority_tenant_id: string | null;
  hold_reason: string | null;
  hold_at: Date | null;
}

export const toReportHold = (r: ReportHoldRow): ReportLegalHold | null =>
  r.hold_at === null
    ? null
    : {
        by: r.hold_by ?? '',
        byName: r.hold_by_name,
        authorityTenantId: r.hold_authority_tenant_id ?? '',
        reason: r.hold_reason ?? '',
        at: r.hold_at,
      };

/** What a hold change answers: the report's hold after it, or why it does not apply (the vault's refusals). */
export type ReportHoldOutcome =
  | { ok: true; reportId: string; legalHold: ReportLegalHold | null }
  | { ok: false; refusal: HoldRefusal };

const lockReport = async (c: PoolClient, reportId: string) => {
  const { rows } = await c.query<ReportHoldRow & { id: string }>(
    `/* reports:lock-for-hold */ select r.id, ${REPORT_HOLD_COLUMNS} from reports r where r.id = $1 for update of r`,
    [reportId],
  );
  const row = rows[0];
  return row === undefined ? null : { row, legalHold: toReportHold(row) };
};

/**
 * The audit record of a hold change, shaped as the vault's custody records (`evidence.legal_hold_set`,
 * `evidence.legal_hold_released`): the caller, its role and tenant, the reason, and the authority tenant the hold is
 * kept for. Never what the report says.
 */
const holdRecord = (
  reportId: string,
  action: 'report.legal_hold_set' | 'report.legal_hold_released',
  request: HoldRequest,
  authorityTenantId: string,
) => ({
  actor: request.by.actor,
  role: request.by.role,
  tenantId: request.by.tenantId,
  action,
  subject: { type: 'report', id: reportId },
  reason: request.reason,
  evidence: { authorityTenantId },
});

async function changeHold(
  pool: Pool,
  reportId: string,
  request: HoldRequest,
  release: boolean,
): Promise<ReportHoldOutcome> {
  return withTransaction(pool, async (c): Promise<ReportHoldOutcome> => {
    const found = await lockReport(c, reportId);
    const holdable = found === null ? null : { legalHold: found.legalHold };
    const refusal = release ? releaseHoldRefusal(holdable, request) : setHoldRefusal(holdable, request);
    if (refusal !== null || found === null) return { ok: false, refusal: refusal ?? 'not-found' };
    const { rows } = await c.query<ReportHoldRow>(
      release
        ? `/* reports:release-hold */ update reports r set hold_by = null, hold_authority_tenant_id = null,
             hold_reason = null, hold_at = null where r.id = $1 returning ${REPORT_HOLD_COLUMNS}`
        : `/* reports:set-hold */ update reports r set hold_by = $2, hold_authority_tenant_id = $3,
             hold_reason = $4, hold_at = $5 where r.id = $1 returning ${REPORT_HOLD_COLUMNS}`,
      release
        ? [reportId]
        : [reportId, request.by.actor.id, request.authorityTenantId, request.reason, request.at],
    );
    const legalHold = toReportHold(rows[0]!);
    // A release names the authority whose hold ended (an admin may end another's).
    const authorityTenantId = release
      ? (found.legalHold?.authorityTenantId ?? request.authorityTenantId)
      : request.authorityTenantId;
    await appendAudit(
      c,
      holdRecord(
        reportId,
        release ? 'report.legal_hold_released' : 'report.legal_hold_set',
        request,
        authorityTenantId,
      ),
    );
    return { ok: true, reportId, legalHold };
  });
}

/**
 * Places a legal hold on a report, with its reason, for the caller's authority tenant (audited
 * `report.legal_hold_set`); placing it again for the same authority renews its reason and time. Refused over another
 * authority's hold (`held-by-another-authority`), or for an unknown report (`not-found`).
 */
export const setReportHold = (pool: Pool, reportId: string, request: HoldRequest) =>
  changeHold(pool, reportId, request, false);

/**
 * Releases a report's legal hold (audited `report.legal_hold_released`): only the authority it is kept for, or an
 * admin (`request.mayOverride`). The next personal-data pass erases what is due.
 */
export const releaseReportHold = (pool: Pool, reportId: string, request: HoldRequest) =>
  changeHold(pool, reportId, request, true);
