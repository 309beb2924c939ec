import { PIPELINE_OWNER } from '@mod/db/reports';

/** The programme's operators: they see every report, and all of it. */
export const REPORT_OVERSIGHT = ['hotline', 'reviewer', 'admin'] as const;

/** Whether a role is one of the programme's operators (`REPORT_OVERSIGHT`). */
export const isReportOversight = (role: string): boolean =>
  (REPORT_OVERSIGHT as readonly string[]).includes(role);

/** Who, of the programme's staff, did a step: what an outside party is told instead of the person or key. */
export const STAFF_OWNER = 'staff';

interface ReportShape {
  filedBy: string | null;
  legalHold: unknown;
  status: string;
  ownerPersonId: string | null;
  ownerName: string | null;
  subjects: {
    id: string;
    status: string;
    owner: string | null;
    submissionId: string | null;
    caseId: string | null;
    orderIds: string[];
    reports: number | null;
  }[];
}
/** The report as read, whose view is made: who filed it, when, and which of its subjects moved on since. */
interface FiledReport {
  filedBy: string | null;
  receivedAt: Date;
  subjects: readonly { id: string; movedSinceFiled: boolean }[];
}
interface StepShape {
  at: string;
  step: string;
  owner: string;
  ownerName: string | null;
}

/**
 * What an outside party (a platform, of the reports it filed) is told: what happened to its report and when, and
 * the reasons given, never which of the programme's people or keys did each step, nor the ids of the internal case,
 * of the submission and of the orders, which it cannot read, nor whether others reported a URL too (a platform could
 * learn that its users' content is being reported, by whom it could guess): not how many reports share it, nor that
 * its report folded into another's subject (shown as routed), nor what happened to that subject before its report
 * (those steps are left out, and a subject already in review is shown as routing until it moves on). The filer's
 * own steps stay its own.
 */
function outsiderView(filed: FiledReport) {
  const { filedBy } = filed;
  const moved = new Set(filed.subjects.filter((s) => s.movedSinceFiled).map((s) => s.id));
  const owner = (o: string) => (o === filedBy || o.startsWith('system:') ? o : STAFF_OWNER);
  const since = filed.receivedAt.getTime();
  return {
    report: <R extends ReportShape>(r: R): R => {
      const subjects = r.subjects.map((s) =>
        s.status === 'case' && !moved.has(s.id)
          ? { ...s, status: 'routing', owner: PIPELINE_OWNER, submissionId: null }
          : { ...s, owner: s.owner === null ? null : owner(s.owner), submissionId: null },
      );
      const inReview = subjects.some((s) => s.status === 'case');
      return {
        ...r,
        status: r.status === 'assessing' && !inReview ? 'received' : r.status,
        ownerPersonId: null,
        ownerName: null,
        // An authority's hold is its investigation's, not the filer's to know.
        legalHold: null,
        subjects: subjects.map((s) => ({ ...s, caseId: null, orderIds: [], reports: null })),
      };
    },
    /** Whether the step is told at all: not one of an earlier report's subject before this report. */
    tells: (s: StepShape): boolean => Date.parse(s.at) >= since,
    step: <S extends StepShape>(s: S): S => ({
      ...s,
      step: s.step === 'folded' ? 'routed' : s.step,
      owner: owner(s.owner),
      ownerName: s.owner === filedBy ? s.ownerName : null,
    }),
  };
}

/** The caller's view of a report: all of it for the programme's operators, `outsiderView` for anyone else. */
export function reportViewFor(role: string, report: FiledReport) {
  if (isReportOversight(role))
    return {
      report: <R extends ReportShape>(r: R) => r,
      tells: (_s: StepShape) => true,
      step: <S extends StepShape>(s: S) => s,
    };
  return outsiderView(report);
}
