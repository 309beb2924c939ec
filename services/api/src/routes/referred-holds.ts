import { Type } from '@fastify/type-provider-typebox';
import { heldNotReferred, type HeldReport } from '@mod/db/reports';
import { principalOf } from '../auth.js';
import { ErrorResponses, Nullable, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { ReportLegalHold, Time } from './report-schemas.js';

/** An authority's own holds only: another authority's hold is never listed (and its report answers 404). */
const HOLD_READERS = { roles: ['authority'], tenant: 'own' } as const;

const HeldOut = Type.Object(
  {
    reportId: Uuid,
    legalHold: ReportLegalHold,
    referralWithdrawnAt: Nullable(Time, "null: the report was never referred to the caller's authority"),
  },
  { additionalProperties: false },
);

const heldBody = (h: HeldReport) => ({
  reportId: h.reportId,
  legalHold: { ...h.legalHold, at: h.legalHold.at.toISOString() },
  referralWithdrawnAt: h.referralWithdrawnAt?.toISOString() ?? null,
});

/**
 * `GET /v1/referred-reports/held`: the reports the caller's authority keeps a legal hold on but no
 * longer stands referred to (its referral withdrawn, or held by id). The authority is told its hold and no more of
 * the report (what it says is the referral's, which ended), so that it can release the hold
 * (`POST /v1/reports/:id/legal-hold/release`); nothing of a citizen's report is read, so nothing is audited.
 */
export async function heldReportRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/held',
    {
      config: HOLD_READERS,
      schema: {
        description: [
          "The reports the caller's authority tenant holds but does not stand referred to, newest hold first (at",
          'most 200): the hold alone, never what the report says.',
        ].join(' '),
        response: { 200: Type.Object({ held: Type.Array(HeldOut) }), ...ErrorResponses },
      },
    },
    async (req) => ({ held: (await heldNotReferred(deps.db, principalOf(req).tenantId)).map(heldBody) }),
  );
}
