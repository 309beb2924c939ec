import { Type, type Static } from '@fastify/type-provider-typebox';
import {
  ReportCategories,
  ReportChannels,
  ReportStatuses,
  type ReportListQuery,
  type ReportScope,
  type ReportView,
} from '@mod/db/reports';
import { badRequest } from '../errors.js';
import { REPORT_LIMITS } from '../reports/intake.js';
import { Nullable, Timestamp, Uuid } from './common.js';

// The schemas of the reports routes (`reports.ts`): what the hotline and platforms file, what operators read.

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
export const Category = literals(ReportCategories);
export const Channel = literals(ReportChannels);
export const Status = literals(ReportStatuses);
/** `Timestamp`: RFC 3339 without a leap second, which no Date reads (a made-up one would answer 500). */
export const Time = Timestamp;

export const ReportBody = Type.Object(
  {
    urls: Type.Array(Type.String({ minLength: 1, maxLength: REPORT_LIMITS.maxUrlLength }), {
      minItems: 1,
      maxItems: REPORT_LIMITS.maxUrls,
    }),
    category: Category,
    seenWhere: Type.Optional(Type.String({ maxLength: REPORT_LIMITS.maxSeenWhere })),
    description: Type.Optional(Type.String({ maxLength: REPORT_LIMITS.maxDescription })),
    contact: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ maxLength: REPORT_LIMITS.maxContactField })),
          phone: Type.Optional(Type.String({ maxLength: REPORT_LIMITS.maxContactField })),
          email: Type.Optional(Type.String({ maxLength: REPORT_LIMITS.maxContactField })),
        },
        { additionalProperties: false },
      ),
    ),
    /** The caller's consent to keep the contact details, and to be contacted about the report. */
    consents: Type.Optional(
      Type.Object({ contact: Type.Boolean(), followUp: Type.Boolean() }, { additionalProperties: false }),
    ),
    language: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
  },
  { additionalProperties: false },
);

export const Filed = Type.Object({
  id: Uuid,
  trackingCode: Type.String({
    description:
      'shown once (and again only to a retry with the same Idempotency-Key within its window): only its digest is kept',
  }),
  status: Type.Literal('received'),
  dueAt: Time,
  subjects: Nullable(
    Type.Object({ opened: Type.Integer(), folded: Type.Integer() }),
    "the report's URLs that opened a subject and those folded into one already open; null to a platform (whether others reported a URL is the programme's to know)",
  ),
});

const SubjectView = Type.Object({
  id: Uuid,
  url: Nullable(Type.String(), 'null once erased at the end of its retention (REPORT_URL_RETENTION_DAYS)'),
  urlErasedAt: Nullable(Time, 'when url was erased (null: kept)'),
  status: Type.Union([
    Type.Literal('routing'),
    Type.Literal('case'),
    Type.Literal('actioned'),
    Type.Literal('no-action'),
  ]),
  submissionId: Nullable(Uuid),
  caseId: Nullable(Uuid),
  orderIds: Type.Array(Uuid),
  owner: Nullable(Type.String()),
  outcomeReason: Nullable(Type.String()),
  reports: Nullable(
    Type.Integer({
      description:
        'reports folded into this subject; null to a platform (not how many others reported the URL)',
    }),
  ),
  settledAt: Nullable(Time),
});

/** A legal hold on a report (`POST /v1/reports/:id/legal-hold`): who placed it, for which authority, why, when. */
export const ReportLegalHold = Nullable(
  Type.Object(
    {
      by: Type.String({ description: "a person's id, or the key or certificate that placed it" }),
      byName: Nullable(Type.String(), "the person's display name"),
      authorityTenantId: Type.String({ description: 'the authority tenant the hold is kept for' }),
      reason: Type.String(),
      at: Time,
    },
    { additionalProperties: false },
  ),
  'null: not held; while held, none of its personal data is erased at the end of its retention',
);

export const ReportBodyOut = Type.Object({
  id: Uuid,
  channel: Channel,
  tenantId: Type.String(),
  filedBy: Nullable(Type.String()),
  category: Category,
  seenWhere: Nullable(Type.String()),
  description: Nullable(Type.String()),
  language: Type.Union([Type.Literal('vi'), Type.Literal('en')]),
  status: Status,
  outcomeReason: Nullable(Type.String()),
  ownerPersonId: Nullable(Uuid),
  ownerName: Nullable(Type.String()),
  receivedAt: Time,
  dueAt: Time,
  outcomeAt: Nullable(Time),
  textErasedAt: Nullable(
    Time,
    'when description and seenWhere were erased at the end of their retention (REPORT_TEXT_RETENTION_DAYS after the outcome)',
  ),
  legalHold: ReportLegalHold,
  overdue: Type.Boolean(),
  hasContact: Type.Boolean(),
  subjects: Type.Array(SubjectView),
});

export const StepOut = Type.Object({
  at: Time,
  step: Type.String(),
  owner: Type.String({
    description:
      "a person's id, a credential, or system:* (the pipeline, the queue); to a platform, 'staff' for the programme's people and keys",
  }),
  ownerName: Nullable(Type.String()),
  subjectId: Nullable(Uuid),
  note: Nullable(Type.String()),
});

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
/** A report as the API answers it (`ReportBodyOut`), its deadline judged at `now`. */
export const toReportBody = (r: ReportView, now: Date): Static<typeof ReportBodyOut> => ({
  ...r,
  receivedAt: r.receivedAt.toISOString(),
  dueAt: r.dueAt.toISOString(),
  outcomeAt: iso(r.outcomeAt),
  textErasedAt: iso(r.textErasedAt),
  legalHold: r.legalHold === null ? null : { ...r.legalHold, at: r.legalHold.at.toISOString() },
  overdue: r.outcomeAt === null ? r.dueAt < now : r.outcomeAt > r.dueAt,
  subjects: r.subjects.map((s) => ({ ...s, settledAt: iso(s.settledAt), urlErasedAt: iso(s.urlErasedAt) })),
});

/** The status filter and keyset paging of a list of reports (`GET /v1/reports`, `GET /v1/referred-reports`). */
export const ReportPageQuery = {
  status: Type.Optional(Status),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  beforeReceivedAt: Type.Optional(Time),
  beforeId: Type.Optional(Uuid),
};
export const ReportList = Type.Object({ reports: Type.Array(ReportBodyOut) });

/** The `listReports` query of a list's `ReportPageQuery` in `scope`; half a cursor is refused. */
export function reportPage(
  scope: ReportScope,
  q: { status?: ReportListQuery['status']; limit?: number; beforeReceivedAt?: string; beforeId?: string },
): ReportListQuery {
  if ((q.beforeReceivedAt === undefined) !== (q.beforeId === undefined))
    throw badRequest('MOD_ERR_API_VALIDATION', 'beforeReceivedAt and beforeId go together');
  return {
    scope,
    limit: q.limit ?? 50,
    ...(q.status === undefined ? {} : { status: q.status }),
    ...(q.beforeReceivedAt === undefined || q.beforeId === undefined
      ? {}
      : { before: { receivedAt: new Date(q.beforeReceivedAt), id: q.beforeId } }),
  };
}
