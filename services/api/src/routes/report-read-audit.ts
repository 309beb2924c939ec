import type { Principal } from '@mod/db/access';
import type { Queryable } from '@mod/db';
import { auditCallerChange } from './common.js';

/**
 * The audit records of reads of citizens' reports, which carry personal data: by the programme's operators
 * (`report.read`, `report.list_read`) and by an authority they were referred to (`referred_report.read`,
 * `referred_report.list_read`). Appended before anything is sent, so a read the log refuses sends nothing.
 */
export const REPORT_READ_ACTIONS = {
  operator: { read: 'report.read', list: 'report.list_read' },
  referred: { read: 'referred_report.read', list: 'referred_report.list_read' },
} as const;
export type ReportReader = keyof typeof REPORT_READ_ACTIONS;

/** A list read's filter and page, as the caller asked for it (absent: null in the record). */
export interface ReportListFilter {
  status?: string;
  channel?: string;
  beforeReceivedAt?: string;
  beforeId?: string;
  limit?: number;
}

/** One record per page read (who, which filter and page, how many reports), subject the caller's tenant. */
export const auditReportListRead = (
  db: Queryable,
  p: Principal,
  reader: ReportReader,
  q: ReportListFilter,
  reports: number,
) =>
  auditCallerChange(db, p, {
    action: REPORT_READ_ACTIONS[reader].list,
    subject: { type: 'tenant', id: p.tenantId },
    evidence: {
      status: q.status ?? null,
      channel: q.channel ?? null,
      beforeReceivedAt: q.beforeReceivedAt ?? null,
      beforeId: q.beforeId ?? null,
      limit: q.limit ?? null,
      reports,
    },
  });

/** One record per report read (who, which report, when), with what the reader adds (an authority: its referral). */
export const auditReportRead = (
  db: Queryable,
  p: Principal,
  reader: ReportReader,
  reportId: string,
  evidence: Record<string, unknown> = {},
) =>
  auditCallerChange(db, p, {
    action: REPORT_READ_ACTIONS[reader].read,
    subject: { type: 'report', id: reportId },
    evidence,
  });
