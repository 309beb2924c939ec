import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '@mod/audit';
import { appendAudit } from './audit.js';
import { keysetArgs, keysetPage } from './keyset.js';
import {
  REPORT_HOLD_COLUMNS,
  toReportHold,
  type ReportHoldRow,
  type ReportLegalHold,
} from './report-holds.js';
import { withTransaction, type Pool, type PoolClient, type Queryable } from './pool.js';

/**
 * A citizen's report referred to a named authority tenant (migration 0038): the authority then reads the report
 * (`ReportScope` `referredTo` in reports-reads.ts), never its reporter's contact details. Referred by a person of
 * the hotline or an admin, with a reason; withdrawn with one; both audited (`report.referred`,
 * `report.referral_withdrawn`). A referral keeps nothing from the personal-data pass: only a legal hold does.
 */
export interface ReportReferral {
  id: string;
  reportId: string;
  authorityTenantId: string;
  authorityName: string;
  reason: string;
  /** The person who referred it (their id), and their display name. */
  referredBy: string;
  referredByName: string | null;
  referredAt: Date;
  /** Set once withdrawn: by whom, why, when (null: standing). */
  withdrawn: { by: string; byName: string | null; reason: string; at: Date } | null;
}

/** Who refers or withdraws, as the audit record names them (`auditActor` in the API). */
export type ReferralActor = Pick<AuditEntry, 'actor' | 'role' | 'tenantId'>;

/**
 * What a referral or withdrawal answers: the referral (and whether this call made or ended it), or why not: no such
 * report, a target that is not an authority tenant in service, no standing referral to withdraw.
 */
export type ReferralOutcome =
  | { ok: true; changed: boolean; referral: ReportReferral }
  | { ok: false; refusal: 'report-not-found' | 'not-an-authority' | 'not-referred' };

export interface ReferralRequest {
  reportId: string;
  authorityTenantId: string;
  reason: string;
  by: ReferralActor;
  at: Date;
}

/**
 * The SQL condition that the report `r` stands referred to the authority tenant in parameter `param` (`$3`): what
 * an authority reads.
 */
export const referredToCondition = (param: string) =>
  `exists (select 1 from report_referrals rf where rf.report_id = r.id
     and rf.authority_tenant_id = ${param} and rf.withdrawn_at is null)`;

interface ReferralRow {
  id: string;
  report_id: string;
  authority_tenant_id: string;
  authority_name: string;
  reason: string;
  referred_by: string;
  referred_by_name: string | null;
  referred_at: Date;
  withdrawn_by: string | null;
  withdrawn_by_name: string | null;
  withdrawn_reason: string | null;
  withdrawn_at: Date | null;
}

const REFERRAL_SELECT = `select f.id, f.report_id, f.authority_tenant_id, t.name as authority_name, f.reason,
    f.referred_by, (select p.display_name from people p where p.id::text = f.referred_by) as referred_by_name,
    f.referred_at, f.withdrawn_by,
    (select p.display_name from people p where p.id::text = f.withdrawn_by) as withdrawn_by_name,
    f.withdrawn_reason, f.withdrawn_at
  from report_referrals f join tenants t on t.id = f.authority_tenant_id`;

const toReferral = (r: ReferralRow): ReportReferral => ({
  id: r.id,
  reportId: r.report_id,
  authorityTenantId: r.authority_tenant_id,
  authorityName: r.authority_name,
  reason: r.reason,
  referredBy: r.referred_by,
  referredByName: r.referred_by_name,
  referredAt: r.referred_at,
  withdrawn:
    r.withdrawn_at === null
      ? null
      : {
          by: r.withdrawn_by ?? '',
          byName: r.withdrawn_by_name,
          reason: r.withdrawn_reason ?? '',
          at: r.withdrawn_at,
        },
});

const referralById = async (c: Queryable, id: string) => {
  const { rows } = await c.query<ReferralRow>(`/* reports:referral */ ${REFERRAL_SELECT} where f.id = $1`, [
    id,
  ]);
  return toReferral(rows[0]!);
};

/** The standing referral of a report to an authority, or null. */
const standing = async (c: Queryable, reportId: string, authorityTenantId: string) => {
  const { rows } = await c.query<{ id: string }>(
    `/* reports:referral-standing */ select id from report_referrals
     where report_id = $1 and authority_tenant_id = $2 and withdrawn_at is null`,
    [reportId, authorityTenantId],
  );
  return rows[0]?.id ?? null;
};

/** Locks the report against a concurrent referral or withdrawal: false for an unknown report. */
const lockReport = async (c: PoolClient, reportId: string) =>
  (
    await c.query(`/* reports:lock-for-referral */ select 1 from reports where id = $1 for update`, [
      reportId,
    ])
  ).rowCount === 1;

const record = (
  request: ReferralRequest,
  action: 'report.referred' | 'report.referral_withdrawn',
  referralId: string,
): AuditEntry => ({
  ...request.by,
  action,
  subject: { type: 'report', id: request.reportId },
  reason: request.reason,
  evidence: { authorityTenantId: request.authorityTenantId, referralId },
});

/**
 * Refers a report to an authority tenant (audited `report.referred`, with the reason and the authority). Referring
 * it again to an authority it stands referred to changes nothing and records nothing (`changed: false`, the
 * standing referral with its first reason). Refused for an unknown report, and for a target that is not an
 * authority tenant or is switched off.
 */
export async function referReport(pool: Pool, request: ReferralRequest): Promise<ReferralOutcome> {
  return withTransaction(pool, async (c): Promise<ReferralOutcome> => {
    if (!(await lockReport(c, request.reportId))) return { ok: false, refusal: 'report-not-found' };
    const { rows } = await c.query<{ ok: boolean }>(
      `/* reports:referral-target */ select kind = 'authority' and disabled_at is null as ok from tenants
       where id = $1`,
      [request.authorityTenantId],
    );
    if (rows[0]?.ok !== true) return { ok: false, refusal: 'not-an-authority' };
    const existing = await standing(c, request.reportId, request.authorityTenantId);
    if (existing !== null) return { ok: true, changed: false, referral: await referralById(c, existing) };
    const id = randomUUID();
    await c.query(
      `/* reports:refer */ insert into report_referrals
         (id, report_id, authority_tenant_id, reason, referred_by, referred_at) values ($1, $2, $3, $4, $5, $6)`,
      [id, request.reportId, request.authorityTenantId, request.reason, request.by.actor.id, request.at],
    );
    await appendAudit(c, record(request, 'report.referred', id));
    return { ok: true, changed: true, referral: await referralById(c, id) };
  });
}

/**
 * Withdraws a report's standing referral to an authority (audited `report.referral_withdrawn`, with its reason):
 * the authority no longer reads the report. Refused when the report is unknown or stands referred to it no more.
 */
export async function withdrawReferral(pool: Pool, request: ReferralRequest): Promise<ReferralOutcome> {
  return withTransaction(pool, async (c): Promise<ReferralOutcome> => {
    if (!(await lockReport(c, request.reportId))) return { ok: false, refusal: 'report-not-found' };
    const id = await standing(c, request.reportId, request.authorityTenantId);
    if (id === null) return { ok: false, refusal: 'not-referred' };
    await c.query(
      `/* reports:withdraw-referral */ update report_referrals
       set withdrawn_by = $2, withdrawn_reason = $3, withdrawn_at = $4 where id = $1`,
      [id, request.by.actor.id, request.reason, request.at],
    );
    await appendAudit(c, record(request, 'report.referral_withdrawn', id));
    return { ok: true, changed: true, referral: await referralById(c, id) };
  });
}

/** A report's referrals, standing and withdrawn, oldest first (the operators' history of them). */
export async function listReferrals(db: Queryable, reportId: string): Promise<ReportReferral[]> {
  const { rows } = await db.query<ReferralRow>(
    `/* reports:referrals */ ${REFERRAL_SELECT} where f.report_id = $1 order by f.referred_at, f.id`,
    [reportId],
  );
  return rows.map(toReferral);
}

/** The standing referral of a report to one authority (what that authority is told of it), or null. */
export async function referralTo(
  db: Queryable,
  reportId: string,
  authorityTenantId: string,
): Promise<ReportReferral | null> {
  const id = await standing(db, reportId, authorityTenantId);
  return id === null ? null : referralById(db, id);
}

/** The authority tenants in service a report may be referred to, by name. */
export async function referralTargets(db: Queryable): Promise<{ id: string; name: string }[]> {
  const { rows } = await db.query<{ id: string; name: string }>(
    `/* reports:referral-targets */ select id, name from tenants
     where kind = 'authority' and disabled_at is null order by name, id`,
  );
  return rows;
}

/**
 * A legal hold an authority keeps on a report that does not stand referred to it (the referral withdrawn, or the
 * hold placed by the report's id): the authority reads nothing of the report but its own hold, which it alone (or an
 * admin) releases. `referralWithdrawnAt`: when its last referral to this authority was withdrawn (null: never
 * referred to it).
 */
export interface HeldReport {
  reportId: string;
  legalHold: ReportLegalHold;
  referralWithdrawnAt: Date | null;
}

/** A page of an authority's holds (`heldNotReferred`), newest hold first. */
export interface HeldReportsPage {
  /** Past this hold (the previous page's last: its hold's time and report id); none: the first page. */
  after?: { at: Date; id: string };
  /** That report alone, when the authority holds it so (none: every one). */
  reportId?: string;
  /** At most this many (1 to `HELD_REPORTS_MAX_PAGE`). */
  limit: number;
}

/** The largest page of an authority's holds. */
export const HELD_REPORTS_MAX_PAGE = 200;

/** The order a page of holds is read in: the hold's time, then the report's id, both newest first. */
const HELD_KEY = { table: 'reports', alias: 'r', time: 'hold_at', id: 'id' } as const;

/**
 * The reports the authority tenant holds but does not stand referred to, newest hold first, a page at a time
 * (keyset on the hold's time and the report's id, so a page never repeats or skips a hold that stays put). Never a
 * hold kept for another authority.
 */
export async function heldNotReferred(
  db: Queryable,
  authorityTenantId: string,
  page: HeldReportsPage,
): Promise<HeldReport[]> {
  const { rows } = await db.query<ReportHoldRow & { id: string; referral_withdrawn_at: Date | null }>(
    `/* reports:held-not-referred */ select r.id, ${REPORT_HOLD_COLUMNS},
       (select max(f.withdrawn_at) from report_referrals f
        where f.report_id = r.id and f.authority_tenant_id = $1) as referral_withdrawn_at
     from reports r where r.hold_at is not null and r.hold_authority_tenant_id = $1
       and not ${referredToCondition('$1')} and ($2::uuid is null or r.id = $2::uuid)
       and ${keysetPage(HELD_KEY, 'desc', 3)}`,
    [
      authorityTenantId,
      page.reportId ?? null,
      ...keysetArgs(page.after?.at, page.after?.id, Math.min(page.limit, HELD_REPORTS_MAX_PAGE)),
    ],
  );
  return rows.flatMap((r) => {
    const legalHold = toReportHold(r);
    return legalHold === null
      ? []
      : [{ reportId: r.id, legalHold, referralWithdrawnAt: r.referral_withdrawn_at }];
  });
}
