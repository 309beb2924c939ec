/** The programme's operators: they see every report, and all of it. */
export const REPORT_OVERSIGHT = ['hotline', 'reviewer', 'admin'] as const;

/** Whether a role is one of the programme's operators (`REPORT_OVERSIGHT`). */
export const isReportOversight = (role: string): boolean =>
  (REPORT_OVERSIGHT as readonly string[]).includes(role);

/** Who, of the programme's staff, did a step: what an outside party is told instead of the person or key. */
export const STAFF_OWNER = 'staff';

interface ReportShape {
  filedBy: string | null;
  ownerPersonId: string | null;
  ownerName: string | null;
  subjects: { owner: string | null; caseId: string | null; orderIds: string[]; reports: number | null }[];
}
interface StepShape {
  owner: string;
  ownerName: string | null;
}

/**
 * What an outside party (a platform, of the reports it filed) is told: what happened to its report and when, and
 * the reasons given, never which of the programme's people or keys did each step, nor the ids of the internal case
 * and of the orders, which it cannot read, nor how many reports share a URL (whether others reported it too: a
 * platform could learn that its users' content is being reported, by whom it could guess). The filer's own steps
 * stay its own.
 */
function outsiderView(filedBy: string | null) {
  const owner = (o: string) => (o === filedBy || o.startsWith('system:') ? o : STAFF_OWNER);
  return {
    report: <R extends ReportShape>(r: R): R => ({
      ...r,
      ownerPersonId: null,
      ownerName: null,
      subjects: r.subjects.map((s) => ({
        ...s,
        owner: s.owner === null ? null : owner(s.owner),
        caseId: null,
        orderIds: [],
        reports: null,
      })),
    }),
    step: <S extends StepShape>(s: S): S => ({
      ...s,
      owner: owner(s.owner),
      ownerName: s.owner === filedBy ? s.ownerName : null,
    }),
  };
}

/** The caller's view of a report: all of it for the programme's operators, `outsiderView` for anyone else. */
export function reportViewFor(role: string, report: { filedBy: string | null }) {
  if (isReportOversight(role))
    return { report: <R extends ReportShape>(r: R) => r, step: <S extends StepShape>(s: S) => s };
  return outsiderView(report.filedBy);
}
