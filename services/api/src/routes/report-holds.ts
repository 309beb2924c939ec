import { Type } from '@fastify/type-provider-typebox';
import { releaseReportHold, setReportHold, type ReportHoldOutcome } from '@mod/db/reports';
import { principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import { ErrorResponses, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { holders, HoldBody, holdRequest, legalHoldConflict } from './evidence.js';
import { ReportLegalHold } from './report-schemas.js';

/**
 * A legal hold on a report: the roles that hold evidence (an authority, an admin), on any report (reports belong to
 * the tenant that filed them, never to an authority: the hold, not the report, is the authority's). An authority
 * reads no report, so the answer is the hold alone.
 */
const HOLD_REPORTS = { roles: holders.roles, tenant: 'none' } as const;

const HoldAnswer = Type.Object(
  { reportId: Uuid, legalHold: ReportLegalHold },
  { additionalProperties: false },
);

const answer = (outcome: ReportHoldOutcome) => {
  if (outcome.ok)
    return {
      reportId: outcome.reportId,
      legalHold:
        outcome.legalHold === null ? null : { ...outcome.legalHold, at: outcome.legalHold.at.toISOString() },
    };
  switch (outcome.refusal) {
    case 'not-found':
    case 'destroyed':
      throw notFound('report');
    case 'held-by-another-authority':
      throw legalHoldConflict('another authority holds this report; only it (or an admin) releases the hold');
    case 'not-held':
      throw legalHoldConflict('this report is not under legal hold');
  }
};

/**
 * `POST /v1/reports/:id/legal-hold` and `.../release`: while held, the actioner's personal-data pass erases nothing
 * of the report (its description, where-seen, URLs and their copies, contact details). The rules are the evidence
 * holds' (`@mod/vault`): kept for the caller's authority tenant, renewed by it, refused over another authority's,
 * released by it or an admin; each change is audited (`report.legal_hold_set`, `report.legal_hold_released`).
 */
export async function reportHoldRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const changes = [
    ['/:id/legal-hold', setReportHold, 'Places a legal hold on the report'],
    ['/:id/legal-hold/release', releaseReportHold, "Releases the report's legal hold"],
  ] as const;
  for (const [path, change, what] of changes)
    app.post(
      path,
      {
        config: HOLD_REPORTS,
        schema: {
          description: [
            `${what} (authority, admin; audited). While held, its personal data is never erased; after release`,
            'the next personal-data pass erases what is due. Another authority holds it: 409',
            'MOD_ERR_API_LEGAL_HOLD_CONFLICT (a release: also when not held).',
          ].join(' '),
          params: Type.Object({ id: Uuid }, { additionalProperties: false }),
          body: HoldBody,
          response: { 200: HoldAnswer, ...ErrorResponses },
        },
      },
      async (req) => {
        const p = principalOf(req);
        return answer(await change(deps.db, req.params.id, holdRequest(p, req.body.reason, deps.now())));
      },
    );
}
