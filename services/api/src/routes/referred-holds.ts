import { Type } from '@fastify/type-provider-typebox';
import { heldNotReferred, HELD_REPORTS_MAX_PAGE, type HeldReport } from '@mod/db/reports';
import { principalOf } from '../auth.js';
import {
  ErrorResponses,
  nextCursorAfter,
  Nullable,
  pagePosition,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { ReportLegalHold, Time } from './report-schemas.js';

/** An authority's own holds only: another authority's hold is never listed (and its report answers 404). */
const HOLD_READERS = { roles: ['authority'], tenant: 'own' } as const;
/** A page of holds when the caller names no limit. */
const HELD_PAGE = 50;

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
          "The reports the caller's authority tenant holds but does not stand referred to, newest hold first, a",
          'page at a time (limit, default 50; pass nextCursor as cursor for the next page; a cursor this API did',
          'not issue: 400 MOD_ERR_API_BAD_CURSOR); reportId: that report alone, if so held. The hold alone, never',
          'what the report says.',
        ].join(' '),
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: HELD_REPORTS_MAX_PAGE })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            reportId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              held: Type.Array(HeldOut),
              nextCursor: Nullable(Type.String(), 'null: the last page'),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const after = pagePosition(req.query.cursor);
      const limit = req.query.limit ?? HELD_PAGE;
      const held = await heldNotReferred(deps.db, principalOf(req).tenantId, {
        limit,
        ...(after === undefined ? {} : { after: { at: after.createdAt, id: after.id } }),
        ...(req.query.reportId === undefined ? {} : { reportId: req.query.reportId }),
      });
      return {
        held: held.map(heldBody),
        nextCursor: nextCursorAfter(held, limit, (last) => ({
          createdAt: last.legalHold.at,
          id: last.reportId,
        })),
      };
    },
  );
}
