import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import { exposureOn, saveReviewSettings } from '@mod/db/cases';
import { changeReviewSettings, exposureDay, PREVIEW_MAX_SIDE, PREVIEW_MIN_SIDE } from '@mod/review';
import { principalOf } from '../auth.js';
import { auditActor, ErrorResponses, type TypedApp } from './common.js';
import { CASE_WORKERS, personOf, refusalAnswer, type CasePartDeps } from './cases-common.js';
import { settingsOf } from './cases-evidence.js';

const SettingsBody = Type.Object(
  {
    /** Blur previews (default true). Previews are always greyscale and reduced. */
    previewBlur: Type.Boolean(),
    /** Longest side of a preview, px. */
    previewMaxSide: Type.Integer({ minimum: PREVIEW_MIN_SIDE, maximum: PREVIEW_MAX_SIDE }),
    /** Full-image reveals today (the deployment's day), and the daily limit (0: none). */
    revealsToday: Type.Integer({ minimum: 0 }),
    dailyRevealLimit: Type.Integer({ minimum: 0 }),
    /** Previews shown today (the deployment's day), and their own daily limit (0: none). */
    previewsToday: Type.Integer({ minimum: 0 }),
    dailyPreviewLimit: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const settingsRoute = { roles: [...CASE_WORKERS], tenant: 'none' as const, sessionOnly: true as const };

/**
 * A person's own review settings (under `/v1/review-settings`): how previews are made for them, and how many
 * full images they revealed and how many previews they were shown today. Changes are audited.
 */
export async function reviewSettingsRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  const { review } = deps;
  const answer = async (personId: string, s: { previewBlur: boolean; previewMaxSide: number }) => {
    const seen = await exposureOn(deps.db, personId, exposureDay(deps.now(), review.dayUtcOffsetMinutes));
    return {
      ...s,
      revealsToday: seen.reveals,
      dailyRevealLimit: review.dailyRevealLimit,
      previewsToday: seen.previews,
      dailyPreviewLimit: review.dailyPreviewLimit,
    };
  };

  app.get(
    '',
    { config: settingsRoute, schema: { response: { 200: SettingsBody, ...ErrorResponses } } },
    async (req) => {
      const personId = personOf(principalOf(req));
      return answer(personId, await settingsOf(deps, personId));
    },
  );

  app.patch(
    '',
    {
      config: settingsRoute,
      schema: {
        body: Type.Object(
          {
            previewBlur: Type.Optional(Type.Boolean()),
            previewMaxSide: Type.Optional(
              Type.Integer({ minimum: PREVIEW_MIN_SIDE, maximum: PREVIEW_MAX_SIDE }),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: SettingsBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const personId = personOf(p);
      const next = changeReviewSettings(await settingsOf(deps, personId), req.body);
      if ('ok' in next) throw refusalAnswer(next);
      await withTransaction(deps.db, async (c) => {
        await saveReviewSettings(c, personId, next, deps.now());
        await appendAudit(c, {
          ...auditActor(p),
          action: 'review_settings.changed',
          subject: { type: 'person', id: personId },
          evidence: { previewBlur: next.previewBlur, previewMaxSide: next.previewMaxSide },
        });
      });
      return answer(personId, next);
    },
  );
}
