import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { appendAudit, appendAuditAlone } from '@mod/db/audit';
import {
  assignReportOwner,
  getReport,
  listReports,
  readReportContact,
  reportStats,
  reportSteps,
} from '@mod/db/reports';
import { openSecret, PeopleError, PeopleErrorCode } from '@mod/people';
import { principalOf, scopeOf } from '../auth.js';
import { badRequest, conflict, contactKeyMissing, contactTampered, notFound } from '../errors.js';
import { contactOwner, type ReportFiling } from '../reports/file.js';
import { isReportOversight, REPORT_OVERSIGHT, reportViewFor } from '../reports/outsider-view.js';
import { checkReport, REPORT_LIMITS } from '../reports/intake.js';
import { REPORT_IDEMPOTENCY_WINDOW_MS } from '../reports/replay.js';
import { contactKeyFor, type ReportSettings } from '../reports/settings.js';
import { personOf } from './cases-common.js';
import { reportHoldRoutes } from './report-holds.js';
import { auditReportListRead, auditReportRead } from './report-read-audit.js';
import { reportReferralRoutes } from './report-referrals.js';
import {
  auditActor,
  ErrorResponses,
  idempotencyKeyOf,
  Nullable,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import {
  Category,
  Channel,
  Filed,
  ReportBody,
  ReportBodyOut,
  ReportList,
  reportPage,
  ReportPageQuery,
  StepOut,
  Time,
  toReportBody as toBody,
} from './report-schemas.js';

/** Operators (the hotline, reviewers, admins) see every report; a platform the reports it filed. */
const REPORT_READERS = ['hotline', 'reviewer', 'admin', 'platform'] as const;
/**
 * The reports a caller reads: every report for the programme's operators, except that the hotline's machine key (its
 * call centre's software, which files reports) reads only those its tenant filed; a platform those it filed.
 */
const READ_REPORTS = {
  roles: REPORT_READERS,
  tenant: 'own',
  crossTenant: REPORT_OVERSIGHT,
  crossTenantPeopleOnly: ['hotline'],
  // An authority tenant's reviewer reads no citizen's report: its authority's are the referred ones.
  citizenReports: true,
} as const;

/**
 * Reports over the API (issue 23): the 111 hotline's call centre and platforms file them (`POST /v1/reports`, the
 * same checks and routing as the public form), operators follow them with their subjects, cases, orders and the
 * owner of every step; the hotline's people alone read a reporter's contact details (audited); the programme's
 * statistics for authorities and operators.
 */
export async function reportRoutes(
  app: TypedApp,
  deps: RouteDeps & { reports: ReportSettings; filing: ReportFiling },
): Promise<void> {
  // Legal holds on a report (report-holds.ts): the evidence holders' routes, under the same prefix.
  await reportHoldRoutes(app, deps);
  // Referrals to an authority (report-referrals.ts): the hotline's and admins' people.
  await reportReferralRoutes(app, deps);
  app.post(
    '',
    {
      config: { roles: ['hotline', 'platform'], tenant: 'own' },
      bodyLimit: REPORT_LIMITS.maxBodyBytes,
      schema: {
        description: [
          "Files a report taken by the hotline's call centre (channel hotline) or a platform (channel platform).",
          'Contact details need consents.contact. Answers the tracking code once.',
          'An `Idempotency-Key` header (1-200 of A-Za-z0-9._:-, per tenant) makes a retry safe: within',
          `${REPORT_IDEMPOTENCY_WINDOW_MS / 3_600_000} h, the same key with the same report from the same caller`,
          'answers the first report again, its tracking code included (201, `idempotent-replayed: true`; nothing',
          'is filed or counted again); with another report, 409 MOD_ERR_API_IDEMPOTENCY_CONFLICT. The answer is',
          'kept sealed under REPORT_CONTACT_KEY for the window (without that key, 503',
          'MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE), then deleted.',
        ].join(' '),
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: ReportBody,
        response: { 201: Filed, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
      const checked = checkReport(req.body);
      const filed = await deps.filing.file(
        {
          channel: p.role === 'hotline' ? 'hotline' : 'platform',
          tenantId: p.tenantId,
          filedBy: p.personId ?? `key:${p.keyId}`,
          audit: auditActor(p),
        },
        checked,
        req.body.language ?? 'vi',
        idempotencyKey,
      );
      if (filed.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({
        id: filed.id,
        trackingCode: filed.trackingCode,
        status: 'received' as const,
        dueAt: filed.dueAt.toISOString(),
        subjects: isReportOversight(p.role) ? { opened: filed.opened, folded: filed.folded } : null,
      });
    },
  );

  app.get(
    '',
    {
      config: READ_REPORTS,
      schema: {
        description: [
          'Reports, newest first (keyset beforeReceivedAt + beforeId). Every page read is audited',
          '(report.list_read: the caller, the filter and page, how many reports), before any is sent.',
        ].join(' '),
        querystring: Type.Object(
          { ...ReportPageQuery, channel: Type.Optional(Channel) },
          { additionalProperties: false },
        ),
        response: { 200: ReportList, ...ErrorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const p = principalOf(req);
      const reports = await listReports(deps.db, {
        ...reportPage(scopeOf(req), q),
        ...(q.channel === undefined ? {} : { channel: q.channel }),
      });
      // Citizens' reports carry personal data: the page is on record (who, which filter and page, how many) before
      // any is sent; each report opened is recorded on its own read.
      await auditReportListRead(deps.db, p, 'operator', q, reports.length);
      const now = deps.now();
      return { reports: reports.map((r) => reportViewFor(p.role, r).report(toBody(r, now))) };
    },
  );

  app.get(
    '/:id',
    {
      config: READ_REPORTS,
      schema: {
        description:
          'A report with its steps. Every read is audited (report.read: the caller, the report, the time); a 404 is not.',
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: {
          200: Type.Object({ report: ReportBodyOut, steps: Type.Array(StepOut) }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const report = await getReport(deps.db, req.params.id, scopeOf(req));
      if (report === null) throw notFound('report');
      const steps = await reportSteps(deps.db, report.id);
      // Every read of a citizen's report is on record (who, which report, when) before it is sent; a refused one
      // (404) read nothing.
      await auditReportRead(deps.db, p, 'operator', report.id);
      const view = reportViewFor(p.role, report);
      return {
        report: view.report(toBody(report, deps.now())),
        steps: steps
          .map((s) => ({ ...s, at: s.at.toISOString() }))
          .filter(view.tells)
          .map(view.step),
      };
    },
  );

  app.post(
    '/:id/owner',
    {
      // A named person takes responsibility: only a person, never a machine's key.
      config: {
        roles: ['hotline', 'reviewer', 'admin'],
        tenant: 'none',
        sessionOnly: true,
        citizenReports: true,
      },
      schema: {
        description: [
          'The signed-in person takes responsibility for the report (the step "assigned", owned by them); audited.',
          'A report with its outcome recorded: 409 MOD_ERR_API_CONFLICT.',
        ].join(' '),
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: { 200: Type.Object({ report: ReportBodyOut }), ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const personId = personOf(p);
      const at = deps.now();
      const report = await withTransaction(deps.db, async (c) => {
        if (!(await assignReportOwner(c, { reportId: req.params.id, personId, at }))) {
          // Handled already: who was responsible when its outcome was recorded stays named on it.
          if ((await getReport(c, req.params.id, { all: true })) === null) throw notFound('report');
          throw conflict('the report is handled already: its outcome is recorded');
        }
        await appendAudit(c, {
          ...auditActor(p),
          action: 'report.assigned',
          subject: { type: 'report', id: req.params.id },
        });
        return getReport(c, req.params.id, { all: true });
      });
      if (report === null) throw notFound('report');
      return { report: toBody(report, at) };
    },
  );

  app.get(
    '/:id/contact',
    {
      // A person of the hotline, never a machine's key (the hotline's neither): every read is on record naming who
      // read them, and the call centre's software has a caller's details from the call already.
      config: { roles: ['hotline'], tenant: 'none', sessionOnly: true },
      schema: {
        description: [
          "A reporter's contact details and consents: a signed-in person of the hotline only (a key: 403",
          'MOD_ERR_API_SESSION_REQUIRED); every read is audited.',
        ].join(' '),
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            reportId: Uuid,
            name: Nullable(Type.String()),
            phone: Nullable(Type.String()),
            email: Nullable(Type.String()),
            consents: Type.Object({ contact: Type.Boolean(), followUp: Type.Boolean() }),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const sealed = await readReportContact(deps.db, req.params.id);
      if (sealed === null) throw notFound('contact details');
      const p = principalOf(req);
      // Every read is on record, a failed one with its code as the reason; never what was sealed.
      const audit = (failure: string | null) =>
        appendAuditAlone(deps.db, {
          ...auditActor(p),
          action: failure === null ? 'report.contact.read' : 'report.contact.read_failed',
          subject: { type: 'report', id: req.params.id },
          ...(failure === null ? {} : { reason: failure }),
          evidence: { keyId: sealed.keyId },
        });
      // Sealed under the current key or, after a rotation, an earlier one still configured.
      const key = contactKeyFor(deps.reports, sealed.keyId);
      if (key === null) {
        await audit('MOD_ERR_API_CONTACT_KEY_MISSING');
        throw contactKeyMissing(sealed.keyId);
      }
      let contact: { name: string | null; phone: string | null; email: string | null };
      try {
        contact = JSON.parse(openSecret(key, sealed.sealed, contactOwner(req.params.id))) as typeof contact;
      } catch (err) {
        // Altered, or sealed for another report.
        if (!(err instanceof PeopleError && err.code === PeopleErrorCode.SealedSecret)) throw err;
        req.log.error({ code: err.code, reportId: req.params.id, keyId: sealed.keyId }, err.message);
        await audit('MOD_ERR_API_CONTACT_TAMPERED');
        throw contactTampered();
      }
      await audit(null);
      return { reportId: req.params.id, ...contact, consents: sealed.consents };
    },
  );
}

/** The programme's figures (`GET /v1/report-stats`): authorities, operators. */
export async function reportStatsRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '',
    {
      config: { roles: ['authority', 'hotline', 'reviewer', 'admin'], tenant: 'none' },
      schema: {
        description: 'Reports received in [from, to) (default: the last 30 days) and what became of them.',
        querystring: Type.Object(
          { from: Type.Optional(Time), to: Type.Optional(Time) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            from: Time,
            to: Time,
            received: Type.Integer(),
            handled: Type.Integer(),
            handledWithinDeadline: Type.Integer(),
            shareHandledWithinDeadline: Type.Number(),
            medianSecondsToOutcome: Type.Union([Type.Number(), Type.Null()]),
            open: Type.Integer(),
            overdue: Type.Integer(),
            byChannel: Type.Array(
              Type.Object({
                channel: Channel,
                received: Type.Integer(),
                handled: Type.Integer(),
                handledWithinDeadline: Type.Integer(),
                medianSecondsToOutcome: Type.Union([Type.Number(), Type.Null()]),
              }),
            ),
            byCategory: Type.Array(
              Type.Object({
                category: Category,
                actioned: Type.Integer(),
                noAction: Type.Integer(),
                open: Type.Integer(),
              }),
            ),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const now = deps.now();
      const to = req.query.to === undefined ? now : new Date(req.query.to);
      const from =
        req.query.from === undefined ? new Date(to.getTime() - 30 * 86_400_000) : new Date(req.query.from);
      if (!(from < to)) throw badRequest('MOD_ERR_API_VALIDATION', 'from must be before to');
      const stats = await reportStats(deps.db, { from, to, now });
      return { from: from.toISOString(), to: to.toISOString(), ...stats };
    },
  );
}
