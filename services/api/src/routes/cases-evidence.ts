import { Type } from '@fastify/type-provider-typebox';
import type { Principal } from '@mod/db/access';
import { appendAuditAlone } from '@mod/db/audit';
import {
  countExposure,
  getReviewCase,
  getReviewSettings,
  recordExposureLimits,
  uncountExposure,
  type ExposureKind,
  type ReviewCase,
} from '@mod/db/cases';
import {
  checkReveal,
  refuseReveal,
  defaultReviewSettings,
  exposureDay,
  mayView,
  previewOptions,
  type ReviewSettings,
} from '@mod/review';
import {
  evidenceItemId,
  evidenceState,
  isVaultError,
  VaultErrorCode,
  type EvidenceView,
  type VaultActor,
} from '@mod/vault';
import { renderPreview } from '@mod/vault/preview';
import { auditActorOf, principalOf } from '../auth.js';
import { ApiError, evidenceGone, notFound, unavailable } from '../errors.js';
import { auditActor, ErrorResponses, type TypedApp } from './common.js';
import {
  actorOf,
  CASE_WORKERS,
  CaseParams,
  caseRoute,
  caseScopeFor,
  personOf,
  refusalAnswer,
  viewOf,
  type CasePartDeps,
} from './cases-common.js';
import { COMMAND_ROUTE_HOOKS } from './order-commands.js';

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/octet-stream'];
/** Media answers: the bytes, never JSON (described by their media types). */
const MediaResponse = (description: string, types: readonly string[]) => ({
  description,
  content: Object.fromEntries(types.map((t) => [t, { schema: Type.String({ format: 'binary' }) }])),
});

/**
 * A media body as the typed reply takes it: the response is described by media types (a binary string each),
 * and fastify sends a Buffer as it is, unserialised.
 */
const binary = (bytes: Buffer) => bytes as unknown as string;

/** A person's preview settings (the defaults until they change them). */
export async function settingsOf(deps: CasePartDeps, personId: string): Promise<ReviewSettings> {
  return (await getReviewSettings(deps.db, personId)) ?? defaultReviewSettings;
}

/**
 * Previews and reveals of a case's media, from the evidence vault, for the person who works the case (its live
 * claim's holder; a confirmation's authorities while it is open), both alike: the default is a preview made on
 * the server (greyscale, reduced, blurred unless the person turned the blur off), so the original is only ever
 * sent on an explicit reveal. Both are counted in the person's daily exposure counter, each kind under its own
 * optional daily limit (`REVIEW_DAILY_REVEAL_LIMIT`, `REVIEW_DAILY_PREVIEW_LIMIT`). The vault audits every opening
 * (`evidence.opened`, with the view: `preview` or `reveal`); both are counted (`mod_review_previews_total`,
 * `mod_review_reveals_total`). Destroyed media answers 410.
 */
export async function caseEvidenceRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  const { review } = deps;

  /** The case, for a person who works it; its media opened as `view` (audited by the vault). */
  async function openMedia(p: Principal, caseId: string, view: 'preview' | 'reveal') {
    personOf(p);
    const stored = await getReviewCase(deps.db, caseId, {
      scope: caseScopeFor(p),
      reviewDeadlineHours: review.timings.reviewDeadlineHours,
    });
    if (stored === null) throw notFound('case');
    // Only the people of the case's queue look at its media (oversight reads the case, not the picture).
    if (!mayView(stored, actorOf(p)))
      throw new ApiError(403, 'MOD_ERR_API_CASE_NOT_YOURS', 'your role does not work this case');
    await refuseViewOf(p, stored, view);
    return { stored, opened: await openEvidence(p, stored, view) };
  }

  /**
   * Throws unless `p` may see the case's media now, as a preview or in full alike (`refuseReveal`: the person
   * holding its live claim; a confirmation's authorities while it is open): a preview shows the same picture, only
   * smaller and greyer, so it is no more anyone's than the original. A refusal is on record
   * (`case.preview_refused` or `case.reveal_refused`, its code the reason), as role denials are. Media destroyed
   * already answers 410 first, as it would to the claimer: there is nothing to show (the case's read says so to
   * anyone who reads it).
   */
  async function refuseViewOf(p: Principal, c: ReviewCase, view: 'preview' | 'reveal'): Promise<void> {
    const refused = refuseReveal(viewOf(c), actorOf(p), deps.now());
    if (refused === null) return;
    const vault = review.evidence;
    if (vault !== null && c.submissionId !== null && c.tenantId !== null) {
      const item = await vault.get(evidenceItemId(c.tenantId, c.submissionId), { all: true });
      if (item !== null && evidenceState(item) === 'destroyed') throw evidenceGone();
    }
    await auditRefusal(p, c.id, view, refused.code, { kind: c.kind });
    throw refusalAnswer(refused);
  }

  /** A view of the case's media refused (`case.preview_refused`, `case.reveal_refused`), its code the reason. */
  async function auditRefusal(
    p: Principal,
    caseId: string,
    view: 'preview' | 'reveal',
    code: string,
    evidence: Record<string, unknown>,
  ): Promise<void> {
    await appendAuditAlone(deps.db, {
      ...auditActor(p),
      action: `case.${view}_refused`,
      subject: { type: 'case', id: caseId },
      reason: code,
      evidence,
    });
  }

  /**
   * Counts one exposure of `kind` for `p` today under `limit` before showing anything, in one statement with the
   * limit's check, so exposures asked for at once never all pass it; `show` then shows it, and one that shows
   * nothing (refused, absent, unreadable) gives its count back. Null: refused at the limit, nothing counted.
   */
  async function counted<T>(
    p: Principal,
    kind: ExposureKind,
    limit: number,
    show: () => Promise<T>,
  ): Promise<{ count: number; shown: T } | null> {
    const personId = personOf(p);
    const now = deps.now();
    const day = exposureDay(now, review.dayUtcOffsetMinutes);
    // A supervisor reads the day later against the limits in force now, not the settings in force by then.
    const { dailyRevealLimit, dailyPreviewLimit } = review;
    await recordExposureLimits(deps.db, day, { dailyRevealLimit, dailyPreviewLimit }, now);
    const count = await countExposure(deps.db, kind, personId, day, limit);
    if (count === null) return null;
    try {
      return { count, shown: await show() };
    } catch (err) {
      await uncountExposure(deps.db, kind, personId, day);
      throw err;
    }
  }

  async function openEvidence(p: Principal, c: ReviewCase, view: EvidenceView) {
    const vault = review.evidence;
    if (vault === null) throw unavailable('the evidence vault is not configured on this API');
    if (c.submissionId === null || c.tenantId === null) throw notFound('media');
    const by: VaultActor = { actor: auditActorOf(p), role: p.role, tenantId: p.tenantId };
    try {
      const opened = await vault.open(evidenceItemId(c.tenantId, c.submissionId), {
        // The case's scope decided access already; the vault's own scope is the case's.
        scope: { all: true },
        by,
        view,
        at: deps.now(),
      });
      if (opened === null) throw notFound('media');
      return opened;
    } catch (err) {
      if (isVaultError(err, VaultErrorCode.DESTROYED)) throw evidenceGone();
      // No master key here (or not the one it was sealed under): configuration, not the caller's fault.
      if (
        isVaultError(err, VaultErrorCode.MASTER_KEY_UNKNOWN) ||
        isVaultError(err, VaultErrorCode.KEY_MATERIAL)
      )
        throw new ApiError(503, 'MOD_ERR_API_VAULT_KEY_MISSING', 'this API cannot open the evidence vault');
      throw err;
    }
  }

  app.get(
    '/:id/preview',
    {
      config: caseRoute(CASE_WORKERS, { people: true }),
      schema: {
        params: CaseParams,
        response: {
          200: MediaResponse('A greyscale, reduced (and, by default, blurred) JPEG of the media.', [
            'image/jpeg',
          ]),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const limit = review.dailyPreviewLimit;
      const settings = await settingsOf(deps, personOf(p));
      const done = await counted(p, 'previews', limit, async () => {
        const { stored, opened } = await openMedia(p, req.params.id, 'preview');
        try {
          return {
            stored,
            preview: await renderPreview(opened.bytes, { ...previewOptions(settings), format: 'jpeg' }),
          };
        } catch (err) {
          if (isVaultError(err, VaultErrorCode.PREVIEW_FAILED))
            throw new ApiError(
              422,
              'MOD_ERR_API_PREVIEW_FAILED',
              'the media cannot be previewed; reveal it instead',
            );
          throw err;
        } finally {
          opened.bytes.fill(0);
        }
      });
      if (done === null) {
        // Refused before anything was opened; on record as the rule's refusals are.
        await auditRefusal(p, req.params.id, 'preview', 'MOD_ERR_API_PREVIEW_LIMIT', {
          dailyPreviewLimit: limit,
        });
        // The limit reached, for a client to say in the person's words (the console does).
        reply.header('x-daily-limit', String(limit));
        throw new ApiError(
          429,
          'MOD_ERR_API_PREVIEW_LIMIT',
          `you have been shown ${limit} previews today, the limit set for reviewers; take a break or ask a colleague`,
        );
      }
      const { stored, preview } = done.shown;
      // An exposure, as a reveal is: the vault audited the opening (`evidence.opened`, `preview`); counted here.
      deps.previews.inc();
      return reply
        .header('content-type', preview.mediaType)
        .header('content-disposition', 'inline')
        .header('x-case-id', stored.id)
        .header('x-preview-blurred', String(settings.previewBlur))
        .header('x-previews-today', String(done.count))
        .send(binary(preview.bytes));
    },
  );

  app.post(
    '/:id/reveal',
    {
      config: caseRoute(CASE_WORKERS, { people: true }),
      ...COMMAND_ROUTE_HOOKS,
      schema: {
        params: CaseParams,
        response: { 200: MediaResponse('The original media, as kept.', IMAGE_TYPES), ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const limit = review.dailyRevealLimit;
      const done = await counted(p, 'reveals', limit, () => openMedia(p, req.params.id, 'reveal'));
      if (done === null) {
        await auditRefusal(p, req.params.id, 'reveal', 'MOD_ERR_API_EXPOSURE_LIMIT', {
          dailyRevealLimit: limit,
        });
        reply.header('x-daily-limit', String(limit));
        const refused = checkReveal(limit, limit);
        throw new ApiError(
          429,
          'MOD_ERR_API_EXPOSURE_LIMIT',
          refused.ok ? 'exposure limit' : refused.message,
        );
      }
      const { count } = done;
      const { stored, opened } = done.shown;
      deps.reveals.inc();
      return reply
        .header('content-type', opened.item.mediaType)
        .header('content-disposition', 'inline')
        .header('x-case-id', stored.id)
        .header('x-reveals-today', String(count))
        .send(binary(opened.bytes));
    },
  );
}
