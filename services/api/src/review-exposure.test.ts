import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvidence, listAudit } from '@mod/db/audit';
import { exposureDay } from '@mod/review';
import { castCallers } from './callers-world.test-helper.js';
import type { SignedIn } from './cases.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';
import { exposureRowOf, type ExposureAnswer } from './review-exposure.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

/*
 * Everyone's daily exposure for welfare supervisors (`GET /v1/review-exposure`), over HTTP on loopback against
 * real PostgreSQL: previews and reveals the people were shown through the case routes are what it counts, with
 * the limits (previews 2, reveals 1) and who reached or nears one; only a signed-in admin reads it (a reviewer:
 * 403 MOD_ERR_API_FORBIDDEN, on record; an admin's key: 403 MOD_ERR_API_SESSION_REQUIRED), and each read is on
 * record naming the reader, the day and the people listed.
 */
const { api, people, seedCase, claim } = useReviewWorld(castCallers('admin'), {
  people: ['ana', 'bao', 'cam', 'admin', 'officer1'],
  build: () => ({ review: { dailyPreviewLimit: 2, dailyRevealLimit: 1 } }),
});
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
let ana: SignedIn, bao: SignedIn, cam: SignedIn, admin: SignedIn, officer1: SignedIn;
beforeAll(async () => {
  ({ ana, bao, cam, admin, officer1 } = people);
  call = await listenOnLoopback(api.app);
});

const read = (who: SignedIn | string, query = '') => call(who, 'GET', `/v1/review-exposure${query}`);
const rowOf = exposureRowOf;
const records = async (action: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter((r) => r.action === action);

describe('everyone’s daily exposure, for supervisors', () => {
  it('counts what each person was shown today, with the limits and who reached or nears one', async () => {
    const [first, second] = [await seedCase(), await seedCase()];
    expect((await claim(ana, first.caseId)).statusCode).toBe(200);
    expect((await claim(bao, second.caseId)).statusCode).toBe(200);
    // Ana: two previews (the limit) and one reveal (the limit); one more of each is refused and not counted.
    for (let i = 0; i < 2; i++)
      expect((await call(ana, 'GET', `/v1/cases/${first.caseId}/preview`)).status).toBe(200);
    expect((await call(ana, 'POST', `/v1/cases/${first.caseId}/reveal`)).status).toBe(200);
    // Refusals name the limit reached (`x-daily-limit`), for the console to say it in the person's words.
    const refused = [
      await call(ana, 'GET', `/v1/cases/${first.caseId}/preview`),
      await call(ana, 'POST', `/v1/cases/${first.caseId}/reveal`),
    ];
    expect(refused.map((r) => [r.status, r.code, r.headers.get('x-daily-limit')])).toEqual([
      [429, 'MOD_ERR_API_PREVIEW_LIMIT', '2'],
      [429, 'MOD_ERR_API_EXPOSURE_LIMIT', '1'],
    ]);
    // Bao: one preview, half the limit; a preview of a case Ana holds shows nothing and is not counted.
    expect((await call(bao, 'GET', `/v1/cases/${second.caseId}/preview`)).status).toBe(200);
    expect((await call(bao, 'GET', `/v1/cases/${first.caseId}/preview`)).code).toBe(
      'MOD_ERR_API_CASE_CLAIMED',
    );

    const res = await read(admin);
    expect(res.status).toBe(200);
    const answer = res.json<ExposureAnswer>();
    const today = exposureDay(new Date(), 420);
    expect(answer).toMatchObject({ day: today, today: true, dailyRevealLimit: 1, dailyPreviewLimit: 2 });
    expect(rowOf(answer, ana)).toMatchObject({
      reveals: 1,
      previews: 2,
      dailyRevealLimit: 1,
      dailyPreviewLimit: 2,
      revealStanding: 'reached',
      previewStanding: 'reached',
      reachedLimit: true,
      nearLimit: false,
    });
    expect(rowOf(answer, bao)).toMatchObject({
      reveals: 0,
      previews: 1,
      revealStanding: 'under',
      previewStanding: 'under',
      reachedLimit: false,
    });
    // People who work cases and were shown nothing are listed too (an authority's officer among them), most
    // exposed first; an admin, who works no case, is not.
    expect(rowOf(answer, cam)).toMatchObject({ reveals: 0, previews: 0, reachedLimit: false });
    expect(rowOf(answer, officer1)).toMatchObject({ role: 'authority', reveals: 0, previews: 0 });
    expect(rowOf(answer, admin)).toBeUndefined();
    expect(answer.people.slice(0, 2).map((r) => r.personId)).toEqual([ana.personId, bao.personId]);

    // On record: who read which day, and whose figures they saw.
    const reads = (await records('review_exposure.read')).filter((r) => r.actor.id === admin.personId);
    expect(reads.map((r) => [r.role, r.subject])).toEqual([
      ['admin', { type: 'review_exposure', id: today }],
    ]);
    const evidence = await auditEvidence(api.db, reads[0]!.seq);
    const listed = evidence?.find((e) => e.name === 'people')?.document;
    expect(JSON.parse(listed ?? '[]')).toEqual(answer.people.map((r) => r.personId));
  });

  it('answers another day’s figures, near a limit, within a year back and never a later day', async () => {
    const yesterday = exposureDay(new Date(Date.now() - 86_400_000), 420);
    await api.db.query(
      `insert into review_exposure (person_id, day, reveals, previews) values ($1, $2::date, 0, 2), ($3, $2::date, 1, 0)`,
      [cam.personId, yesterday, bao.personId],
    );
    // The limits those counts were checked under, recorded with them (review-exposure-limits.test.ts).
    await api.db.query(
      `insert into review_exposure_limits (day, daily_reveal_limit, daily_preview_limit, recorded_at)
       values ($1::date, 1, 2, now())`,
      [yesterday],
    );
    const answer = (await read(admin, `?day=${yesterday}`)).json<ExposureAnswer>();
    expect(answer).toMatchObject({ day: yesterday, today: false, dailyRevealLimit: 1, dailyPreviewLimit: 2 });
    expect(rowOf(answer, cam)).toMatchObject({ previews: 2, previewStanding: 'reached', reachedLimit: true });
    expect(rowOf(answer, bao)).toMatchObject({ reveals: 1, previews: 0, revealStanding: 'reached' });
    expect(rowOf(answer, ana)).toMatchObject({ reveals: 0, previews: 0 });
    for (const day of [
      '2999-01-01',
      '2001-01-01',
      '2026-02-30',
      '2026-02-31',
      '2026-13-01',
      '2026-00-10',
      '2026-11-31',
      'today',
    ]) {
      const refused = await read(admin, `?day=${day}`);
      expect([day, refused.status, refused.code]).toEqual([day, 400, 'MOD_ERR_API_VALIDATION']);
    }
  });

  it('is for signed-in admins only: a reviewer or an authority gets 403, on record; a key too', async () => {
    const before = (await records('review_exposure.read')).length;
    for (const who of [ana, officer1]) {
      const denied = await read(who);
      expect([denied.status, denied.code]).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    }
    const byKey = await read(api.keys.admin);
    expect([byKey.status, byKey.code]).toEqual([403, 'MOD_ERR_API_SESSION_REQUIRED']);
    const denials = (await records('auth.denied')).filter(
      (r) => r.subject.id === 'GET_/v1/review-exposure' && r.reason === 'role',
    );
    expect(denials.map((r) => r.actor.id).sort()).toEqual([ana.personId, officer1.personId].sort());
    // Nothing was read, so no read is on record.
    expect(await records('review_exposure.read')).toHaveLength(before);
  });
});
