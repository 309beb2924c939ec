import { Type } from '@fastify/type-provider-typebox';
import { appendAuditAlone } from '@mod/db/audit';
import { exposureOfDay } from '@mod/db/cases';
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
  (['none', 'under', 'near', 'reached'] as const satisfies readonly ExposureStanding[]).map((s) =>
    Type.Literal(s),
  ),
  {
    description:
      'Against one daily limit: none (no limit), under, near (from four fifths of it), reached (the next is refused).',
  },
);

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
    /** The limits in force (0: none); the deployment's, the same for everyone. */
    dailyRevealLimit: Type.Integer({ minimum: 0 }),
    dailyPreviewLimit: Type.Integer({ minimum: 0 }),
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
    dailyRevealLimit: Type.Integer({ minimum: 0 }),
    dailyPreviewLimit: Type.Integer({ minimum: 0 }),
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
  app.get(
    '',
    {
      config: { roles: [...EXPOSURE_SUPERVISORS], tenant: 'none', sessionOnly: true },
      schema: {
        description: [
          "Every reviewer's and authority's previews and reveals on a day (default today, the deployment's day;",
          'at most 366 days back, never later than today: else 400 MOD_ERR_API_VALIDATION), with the daily limits',
          'and who reached or nears one. Signed-in admins only; every read is audited.',
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
      const limits = {
        dailyRevealLimit: review.dailyRevealLimit,
        dailyPreviewLimit: review.dailyPreviewLimit,
      };
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
          const revealStanding = exposureStanding(x.reveals, limits.dailyRevealLimit);
          const previewStanding = exposureStanding(x.previews, limits.dailyPreviewLimit);
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
