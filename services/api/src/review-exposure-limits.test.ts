import { beforeAll, describe, expect, it } from 'vitest';
import { exposureDay } from '@mod/review';
import { castCallers } from './callers-world.test-helper.js';
import type { SignedIn } from './cases.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';
import { exposureRowOf, type ExposureAnswer } from './review-exposure.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

/*
 * A past day's exposure is read against the daily limits in force that day, not today's (`GET /v1/review-exposure`,
 * over HTTP on loopback against real PostgreSQL). Yesterday an instance with limits of 2 reveals and 3 previews
 * counted Ana's; the limits have since changed to 4 and 5: yesterday still reads 2 and 3, Ana at the preview limit,
 * while today reads 4 and 5. A day counted before limits were recorded with the counts says its limits are unknown
 * (null), its standings unknown, never a standing against today's limits.
 */
const DAY_OFFSET_MINUTES = 420;
const { api, people, seedCase } = useReviewWorld(castCallers(), {
  people: ['ana', 'bao', 'admin'],
  build: () => ({ review: { dailyRevealLimit: 4, dailyPreviewLimit: 5 } }),
});
type Call = Awaited<ReturnType<typeof listenOnLoopback>>;
let call: Call;
let yesterdays: Call;
let ana: SignedIn, bao: SignedIn, admin: SignedIn;
const yesterdayAt = new Date(Date.now() - 86_400_000);
beforeAll(async () => {
  ({ ana, bao, admin } = people);
  call = await listenOnLoopback(api.app);
  // Yesterday's instance: the limits then in force, its clock a day back.
  const then = await api.world.build({
    now: () => yesterdayAt,
    review: { evidence: api.world.vault, dailyRevealLimit: 2, dailyPreviewLimit: 3 },
  });
  yesterdays = await listenOnLoopback(then);
});

const read = async (day?: string) => {
  const res = await call(admin, 'GET', `/v1/review-exposure${day === undefined ? '' : `?day=${day}`}`);
  expect(res.status, res.bytes.toString()).toBe(200);
  return res.json<ExposureAnswer>();
};
const rowOf = exposureRowOf;

describe('a past day’s exposure, against its own limits', () => {
  it('shows the limits in force that day after they changed, and today’s for today', async () => {
    const yesterday = exposureDay(yesterdayAt, DAY_OFFSET_MINUTES);
    const { caseId } = await seedCase();
    expect((await yesterdays(ana, 'POST', `/v1/cases/${caseId}/claim`)).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await yesterdays(ana, 'GET', `/v1/cases/${caseId}/preview`)).status).toBe(200);
    expect((await yesterdays(ana, 'POST', `/v1/cases/${caseId}/reveal`)).status).toBe(200);
    // The limits then: a fourth preview was refused at 3.
    expect((await yesterdays(ana, 'GET', `/v1/cases/${caseId}/preview`)).code).toBe(
      'MOD_ERR_API_PREVIEW_LIMIT',
    );

    const past = await read(yesterday);
    expect(past).toMatchObject({ day: yesterday, today: false, dailyRevealLimit: 2, dailyPreviewLimit: 3 });
    // Against today's limits (4, 5) Ana was nowhere near one; against that day's, previews reached theirs.
    expect(rowOf(past, ana)).toMatchObject({
      reveals: 1,
      previews: 3,
      revealStanding: 'under',
      previewStanding: 'reached',
      reachedLimit: true,
    });
    expect([rowOf(past, ana)?.dailyRevealLimit, rowOf(past, ana)?.dailyPreviewLimit]).toEqual([2, 3]);
    // Today: the limits in force now, and Ana's own count of today (none).
    const today = await read();
    expect(today).toMatchObject({ today: true, dailyRevealLimit: 4, dailyPreviewLimit: 5 });
    expect(rowOf(today, ana)).toMatchObject({ reveals: 0, previews: 0, revealStanding: 'under' });
  });

  it('says a day counted before limits were recorded has unknown limits, never today’s', async () => {
    const before = exposureDay(new Date(Date.now() - 3 * 86_400_000), DAY_OFFSET_MINUTES);
    // Counted as before migration 0048: the counts alone.
    await api.db.query(
      `insert into review_exposure (person_id, day, reveals, previews) values ($1, $2::date, 4, 5)`,
      [bao.personId, before],
    );
    const answer = await read(before);
    expect(answer).toMatchObject({ day: before, dailyRevealLimit: null, dailyPreviewLimit: null });
    expect(rowOf(answer, bao)).toMatchObject({
      reveals: 4,
      previews: 5,
      dailyRevealLimit: null,
      dailyPreviewLimit: null,
      revealStanding: 'unknown',
      previewStanding: 'unknown',
      reachedLimit: false,
      nearLimit: false,
    });
  });
});
