import { Type } from '@fastify/type-provider-typebox';
import {
  getReport,
  listReferrals,
  listReports,
  referralTargets,
  referralTo,
  referReport,
  withdrawReferral,
  type ReferralOutcome,
  type ReportReferral,
  type ReportScope,
} from '@mod/db/reports';
import type { Principal } from '@mod/db/access';
import { principalOf } from '../auth.js';
import { conflict, notFound, referralTarget } from '../errors.js';
import { auditActor, ErrorResponses, Nullable, Text, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { heldReportRoutes } from './referred-holds.js';
import { auditReportListRead, auditReportRead } from './report-read-audit.js';
import {
  ReportBodyOut,
  ReportList,
  reportPage,
  ReportPageQuery,
  Time,
  toReportBody,
} from './report-schemas.js';

/**
 * Referrals of citizens' reports to an authority (migration 0038). A person of the hotline or an admin refers a
 * report to a named authority tenant, with a reason, and withdraws the referral with one (both audited); the
 * authority then reads that report (`/v1/referred-reports`), never another authority's referrals (404), and never
 * the reporter's contact details: those are the hotline's people's alone (`GET /v1/reports/:id/contact`), which the
 * reporter consented to be contacted by, so an authority that needs the reporter asks the hotline.
 */
const REFERRERS = { roles: ['hotline', 'admin'], tenant: 'none', sessionOnly: true } as const;
/** Operators' people read a report's referrals (standing and withdrawn). */
const REFERRAL_READERS = {
  roles: ['hotline', 'reviewer', 'admin'],
  tenant: 'none',
  sessionOnly: true,
  citizenReports: true,
} as const;
/** A referral is its authority's: another authority's referred report answers 404 (`referredScope`). */
const REFERRED_READERS = { roles: ['authority'], tenant: 'own' } as const;

const ReferralOut = Type.Object(
  {
    id: Uuid,
    reportId: Uuid,
    authorityTenantId: Type.String(),
    authorityName: Type.String(),
    reason: Type.String(),
    referredBy: Type.String({ description: 'the id of the person who referred it' }),
    referredByName: Nullable(Type.String()),
    referredAt: Time,
    withdrawn: Nullable(
      Type.Object(
        { by: Type.String(), byName: Nullable(Type.String()), reason: Type.String(), at: Time },
        { additionalProperties: false },
      ),
      'null: the referral stands',
    ),
  },
  { additionalProperties: false },
);
const ReportId = Type.Object({ id: Uuid }, { additionalProperties: false });
const ReferralAnswer = Type.Object({ referral: ReferralOut }, { additionalProperties: false });

const referralBody = (r: ReportReferral) => ({
  ...r,
  referredAt: r.referredAt.toISOString(),
  withdrawn: r.withdrawn === null ? null : { ...r.withdrawn, at: r.withdrawn.at.toISOString() },
});

/** Why a referral or withdrawal is refused, as the API says it. */
const REFUSALS = {
  'report-not-found': () => notFound('report'),
  'not-an-authority': referralTarget,
  'not-referred': () => conflict('the report does not stand referred to this authority'),
} as const;

const answer = (outcome: ReferralOutcome) => {
  if (!outcome.ok) throw REFUSALS[outcome.refusal]();
  return { referral: referralBody(outcome.referral) };
};

/** The reports an authority reads: those standing referred to its own tenant. */
const referredScope = (p: Principal): ReportScope => ({ all: false, referredTo: p.tenantId });

/**
 * What an authority is told of a referred report: all the operators see but the reporter's contact details (never
 * in a report's body) and another authority's legal hold (its investigation's, shown as none; placing one over it
 * answers 409 as ever).
 */
const forAuthority = (p: Principal, body: ReturnType<typeof toReportBody>) => ({
  ...body,
  legalHold: body.legalHold?.authorityTenantId === p.tenantId ? body.legalHold : null,
});

/** `POST /v1/reports/:id/referrals`, `.../withdraw`, `GET /v1/reports/:id/referrals`, the targets: under /v1/reports. */
export async function reportReferralRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/referral-targets',
    {
      config: REFERRERS,
      schema: {
        description:
          'The authority tenants in service a report may be referred to, by name (people: hotline, admin).',
        response: {
          200: Type.Object({
            authorities: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
          }),
          ...ErrorResponses,
        },
      },
    },
    async () => ({ authorities: await referralTargets(deps.db) }),
  );

  app.post(
    '/:id/referrals',
    {
      config: REFERRERS,
      schema: {
        description: [
          'Refers the report to an authority tenant with a reason (a person of the hotline or an admin): the',
          'authority then reads it at /v1/referred-reports, never its contact details. Audited (report.referred).',
          'Referred to it already: 200 with the standing referral, nothing changed or recorded (new: 201). A target',
          'that is not an authority tenant in service: 400 MOD_ERR_API_REFERRAL_TARGET.',
        ].join(' '),
        params: ReportId,
        body: Type.Object(
          { authorityTenantId: Text(200), reason: Text(2000) },
          { additionalProperties: false },
        ),
        response: { 200: ReferralAnswer, 201: ReferralAnswer, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const outcome = await referReport(deps.db, {
        reportId: req.params.id,
        authorityTenantId: req.body.authorityTenantId,
        reason: req.body.reason,
        by: auditActor(principalOf(req)),
        at: deps.now(),
      });
      const body = answer(outcome);
      return reply.code(outcome.ok && outcome.changed ? 201 : 200).send(body);
    },
  );

  app.post(
    '/:id/referrals/:authorityTenantId/withdraw',
    {
      config: REFERRERS,
      schema: {
        description: [
          "Withdraws the report's standing referral to the authority, with a reason: the authority reads it no",
          'more (404). Audited (report.referral_withdrawn). Not referred to it: 409 MOD_ERR_API_CONFLICT.',
        ].join(' '),
        params: Type.Object({ id: Uuid, authorityTenantId: Text(200) }, { additionalProperties: false }),
        body: Type.Object({ reason: Text(2000) }, { additionalProperties: false }),
        response: { 200: ReferralAnswer, ...ErrorResponses },
      },
    },
    async (req) =>
      answer(
        await withdrawReferral(deps.db, {
          reportId: req.params.id,
          authorityTenantId: req.params.authorityTenantId,
          reason: req.body.reason,
          by: auditActor(principalOf(req)),
          at: deps.now(),
        }),
      ),
  );

  app.get(
    '/:id/referrals',
    {
      config: REFERRAL_READERS,
      schema: {
        description: "The report's referrals, standing and withdrawn, oldest first (operators' people).",
        params: ReportId,
        response: { 200: Type.Object({ referrals: Type.Array(ReferralOut) }), ...ErrorResponses },
      },
    },
    async (req) => {
      if ((await getReport(deps.db, req.params.id, { all: true })) === null) throw notFound('report');
      return { referrals: (await listReferrals(deps.db, req.params.id)).map(referralBody) };
    },
  );
}

/** `GET /v1/referred-reports` and `/:id`: an authority's reports, those standing referred to its tenant. */
export async function referredReportRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  // The reports it still holds once no longer referred to it: the hold alone (referred-holds.ts).
  await heldReportRoutes(app, deps);
  app.get(
    '',
    {
      config: REFERRED_READERS,
      schema: {
        description: [
          "The reports standing referred to the caller's authority tenant, newest first (keyset beforeReceivedAt",
          '+ beforeId), as operators read them but without any other authority legal hold.',
        ].join(' '),
        querystring: Type.Object(ReportPageQuery, { additionalProperties: false }),
        response: { 200: ReportList, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const reports = await listReports(deps.db, reportPage(referredScope(p), req.query));
      // An outside organisation read citizens' reports: the page is on record (who, which page, how many) before
      // any is sent, so a page the log refuses sends nothing; each report opened is recorded on its own read.
      await auditReportListRead(deps.db, p, 'referred', req.query, reports.length);
      const now = deps.now();
      return { reports: reports.map((r) => forAuthority(p, toReportBody(r, now))) };
    },
  );

  app.get(
    '/:id',
    {
      config: REFERRED_READERS,
      schema: {
        description: [
          "A report standing referred to the caller's authority tenant, with its referral; any other report 404.",
          'Every read is audited (referred_report.read; a list read: referred_report.list_read).',
          "The reporter's contact details are never told (hasContact says whether the hotline holds any).",
        ].join(' '),
        params: ReportId,
        response: {
          200: Type.Object({ report: ReportBodyOut, referral: ReferralOut }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const report = await getReport(deps.db, req.params.id, referredScope(p));
      const referral = report === null ? null : await referralTo(deps.db, report.id, p.tenantId);
      if (report === null || referral === null) throw notFound('report');
      // Every read of a citizen's report by an outside organisation is on record (who, which report, when) before
      // it is sent; a refused one (404) read nothing.
      await auditReportRead(deps.db, p, 'referred', report.id, {
        authorityTenantId: p.tenantId,
        referralId: referral.id,
      });
      return { report: forAuthority(p, toReportBody(report, deps.now())), referral: referralBody(referral) };
    },
  );
}
