import { Type } from '@fastify/type-provider-typebox';
import { appendAuditAlone } from '@mod/db/audit';
import { exposureLimitsOn, exposureOfDay, type ExposureLimits } from '@mod/db/cases';
import { exposureDay, exposureDayRefusal, exposureStanding, type ExposureStanding } from '@mod/review';
import { principalOf } from '../auth.js';
import { badRequest } from '../errors.js';
import { auditActor, ErrorResponses, Nullable, Timestamp, Uuid, type TypedApp } from './common.js';
import type { CasePartDeps } from './cases-common.js';
import { PersonRoleSchema } from './people-schemas.js';

/**
 * Who supervises reviewers' welfare: the admins. There is no role of its own (a person has one role, and the
 * roles a tenant's people may hold are `RolesByTenantKind`); an admin already oversees every case and person.
 */
export const EXPOSURE_SUPERVISORS = ['admin'] as const;
/** At most this many people in one answer (most exposed first); `truncated` says there were more. */
export const EXPOSURE_LIST_LIMIT = 500;

const Standing = Type.Union(
  (
    [
      ...(['none', 'under', 'near', 'reached'] as const satisfies readonly ExposureStanding[]),
      'unknown',
    ] as const
  ).map((s) => Type.Literal(s)),
  {
    description: [
      'Against one daily limit: none (no limit), under, near (from four fifths of it), reached (the next is',
      'refused); unknown: the limit in force that day was not recorded.',
    ].join(' '),
  },
);
/** A day's limit: the one in force that day (0: none); null for a past day whose limits were never recorded. */
const DayLimit = Nullable(
  Type.Integer({ minimum: 0 }),
  'The limit in force that day (0: none); null: not recorded (a day before limits were kept with the counts).',
);

/** A count's standing against its day's limit; an unknown limit says so, never a standing against another one. */
const standingOf = (count: number, limit: number | null) =>
  limit === null ? ('unknown' as const) : exposureStanding(count, limit);

const PersonExposureBody = Type.Object(
  {
    personId: Uuid,
    displayName: Type.String(),
    login: Type.String(),
    role: PersonRoleSchema,
    tenantId: Type.String(),
    disabledAt: Nullable(Timestamp),
    /** Full-image reveals and previews shown that day. */
    reveals: Type.Integer({ minimum: 0 }),
    previews: Type.Integer({ minimum: 0 }),
    /** The limits in force that day (0: none; null: not recorded); the deployment's, the same for everyone. */
    dailyRevealLimit: DayLimit,
    dailyPreviewLimit: DayLimit,
    revealStanding: Standing,
    previewStanding: Standing,
    /** At a limit (reveals or previews): the next of that kind is refused today. */
    reachedLimit: Type.Boolean(),
    /** Near a limit but at none. */
    nearLimit: Type.Boolean(),
  },
  { additionalProperties: false },
);

const ExposureBody = Type.Object(
  {
    day: Type.String({ format: 'date' }),
    /** Whether `day` is today (the deployment's day): its counts still grow. */
    today: Type.Boolean(),
    dailyRevealLimit: DayLimit,
    dailyPreviewLimit: DayLimit,
    people: Type.Array(PersonExposureBody),
    truncated: Type.Boolean(),
  },
  { additionalProperties: false },
);

/**
 * Everyone's daily exposure (`GET /v1/review-exposure?day=YYYY-MM-DD`, default today): for welfare supervisors,
 * who see who was shown how much and who is at or near a limit. Personal data about staff: a signed-in admin only
 * (a reviewer, 403 MOD_ERR_API_FORBIDDEN, audited `auth.denied` by the auth hook; a key, 403
 * MOD_ERR_API_SESSION_REQUIRED), and every read is audited (`review_exposure.read`, naming the day and the
 * people listed).
 */
export async function reviewExposureRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  const { review } = deps;
  const unknown = { dailyRevealLimit: null, dailyPreviewLimit: null };
  /**
   * The limits of `day`: today's are this instance's settings (those its counts are checked against now); a past
   * day's those recorded with its counts (`recordExposureLimits`), unknown when none were, never today's.
   */
  const limitsOn = async (
    day: string,
    today: string,
  ): Promise<ExposureLimits | { dailyRevealLimit: null; dailyPreviewLimit: null }> =>
    day === today
      ? { dailyRevealLimit: review.dailyRevealLimit, dailyPreviewLimit: review.dailyPreviewLimit }
      : ((await exposureLimitsOn(deps.db, day)) ?? unknown);
  app.get(
    '',
    {
      config: { roles: [...EXPOSURE_SUPERVISORS], tenant: 'none', sessionOnly: true },
      schema: {
        description: [
          "Every reviewer's and authority's previews and reveals on a day (default today, the deployment's day;",
          'at most 366 days back, never later than today: else 400 MOD_ERR_API_VALIDATION), with the daily limits',
          'in force that day (a past day: those recorded with its counts; null when none were) and who reached or',
          'nears one. Signed-in admins only; every read is audited.',
        ].join(' '),
        querystring: Type.Object(
          { day: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })) },
          { additionalProperties: false },
        ),
        response: { 200: ExposureBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const today = exposureDay(deps.now(), review.dayUtcOffsetMinutes);
      const day = req.query.day ?? today;
      const refused = exposureDayRefusal(day, today);
      if (refused !== null) throw badRequest('MOD_ERR_API_VALIDATION', refused);
      const { people, truncated } = await exposureOfDay(deps.db, day, EXPOSURE_LIST_LIMIT);
      const limits = await limitsOn(day, today);
      // Read before it is answered: an answer that cannot be put on record is not given.
      await appendAuditAlone(deps.db, {
        ...auditActor(p),
        action: 'review_exposure.read',
        subject: { type: 'review_exposure', id: day },
        evidence: { day, people: people.map((x) => x.personId), truncated },
      });
      return {
        day,
        today: day === today,
        ...limits,
        truncated,
        people: people.map((x) => {
          const revealStanding = standingOf(x.reveals, limits.dailyRevealLimit);
          const previewStanding = standingOf(x.previews, limits.dailyPreviewLimit);
          const standings = [revealStanding, previewStanding];
          return {
            ...x,
            disabledAt: x.disabledAt?.toISOString() ?? null,
            ...limits,
            revealStanding,
            previewStanding,
            reachedLimit: standings.includes('reached'),
            nearLimit: !standings.includes('reached') && standings.includes('near'),
          };
        }),
      };
    },
  );
}
