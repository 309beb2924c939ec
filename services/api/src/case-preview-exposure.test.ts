import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import type { SignedIn } from './cases.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

/*
 * Each preview shown is an exposure counted in the person's daily exposure counter (`review_exposure.previews`),
 * beside and apart from reveals, under its own daily limit (`REVIEW_DAILY_PREVIEW_LIMIT`, here 3; reveals here 1,
 * so a shared count would refuse the second preview). Over HTTP on loopback, as the console asks for it.
 */
const { api, people, seedCase, claim } = useReviewWorld(
  {},
  { people: ['ana', 'bao'], build: () => ({ review: { dailyPreviewLimit: 3, dailyRevealLimit: 1 } }) },
);
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
let ana: SignedIn, bao: SignedIn;
beforeAll(async () => {
  ({ ana, bao } = people);
  call = await listenOnLoopback(api.app);
});

const preview = (who: SignedIn, caseId: string) => call(who, 'GET', `/v1/cases/${caseId}/preview`);
/** What the person's own settings say they were shown today. */
const today = async (who: SignedIn) =>
  (await call(who, 'GET', '/v1/review-settings')).json<{
    previewsToday: number;
    dailyPreviewLimit: number;
    revealsToday: number;
    dailyRevealLimit: number;
  }>();
const audited = async (who: SignedIn, action: string, reason: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter(
    (r) => r.action === action && r.reason === reason && r.actor.id === who.personId,
  );

describe('previews in the daily exposure counter', () => {
  it('count each preview shown, apart from reveals, and refuse past their own limit, on record', async () => {
    const { caseId } = await seedCase();
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    expect(await today(ana)).toMatchObject({ previewsToday: 0, dailyPreviewLimit: 3, revealsToday: 0 });
    for (let i = 1; i <= 3; i++) {
      const res = await preview(ana, caseId);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      expect(res.headers.get('x-previews-today')).toBe(String(i));
      expect(await today(ana)).toMatchObject({ previewsToday: i, revealsToday: 0 });
    }
    // Previews do not use up the reveal limit (1): the one reveal still passes.
    expect((await call(ana, 'POST', `/v1/cases/${caseId}/reveal`)).status).toBe(200);
    const refused = await preview(ana, caseId);
    expect([refused.status, refused.code]).toEqual([429, 'MOD_ERR_API_PREVIEW_LIMIT']);
    expect(await today(ana)).toMatchObject({ previewsToday: 3, revealsToday: 1 });
    // Three opened and audited as previews; the fourth opened nothing and its refusal is on record.
    expect(await audited(ana, 'evidence.opened', 'preview')).toHaveLength(3);
    const refusals = await audited(ana, 'case.preview_refused', 'MOD_ERR_API_PREVIEW_LIMIT');
    expect(refusals.map((r) => r.subject)).toEqual([{ type: 'case', id: caseId }]);
    // Another person's day is their own.
    expect(await today(bao)).toMatchObject({ previewsToday: 0 });
  });

  it('give the count back for a preview that showed nothing (a case not one’s own)', async () => {
    const { caseId } = await seedCase();
    const res = await preview(bao, caseId);
    expect([res.status, res.code]).toEqual([409, 'MOD_ERR_API_CASE_NOT_CLAIMED']);
    expect(await today(bao)).toMatchObject({ previewsToday: 0 });
  });
});
