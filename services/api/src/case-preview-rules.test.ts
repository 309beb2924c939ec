import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { createRegistry } from '@mod/telemetry';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

/*
 * A case's preview (its media, greyscale and reduced) follows the rule of a full reveal: the person holding the
 * case's live claim sees it, a confirmation's authorities while it is open; nobody else, each refusal on record.
 * Each preview shown is an exposure: audited by the vault as its own kind (`evidence.opened`, `preview`) and
 * counted. Over HTTP on loopback, as the console asks for it.
 */
const registry = createRegistry('api');
const { api, people, seedCase, claim, decide } = useReviewWorld(
  {},
  {
    people: ['ana', 'officer1'],
    tenants: [{ id: 'isp-p', kind: 'isp', name: 'ISP', subscribedToBlocking: true }],
    build: () => ({ registry }),
  },
);
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
let eva: SignedIn, gia: SignedIn;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  eva = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'eva-p');
  gia = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'gia-p');
});

/** A person's preview: its status, error code and whether it is an image (a JPEG) or an error (JSON). */
const preview = async (who: SignedIn, caseId: string) => {
  const res = await call(who, 'GET', `/v1/cases/${caseId}/preview`);
  return { status: res.status, code: res.code, type: res.headers.get('content-type')?.split(';')[0] };
};
const shown = { status: 200, code: undefined, type: 'image/jpeg' };
const refused = (code: string) => ({ status: 409, code, type: 'application/json' });
/** Previews the vault opened for a person (its audit records of kind `preview`). */
const previewsOpenedBy = async (who: SignedIn) =>
  (await listAudit(api.db, { limit: 100_000 })).filter(
    (r) => r.action === 'evidence.opened' && r.reason === 'preview' && r.actor.id === who.personId,
  ).length;
const previewRefusals = async (caseId: string) =>
  (await listAudit(api.db, { subjectId: caseId }))
    .filter((r) => r.action === 'case.preview_refused')
    .map((r) => [r.actor.id, r.reason]);
const previewsCounted = async () =>
  (await registry.getSingleMetric('mod_review_previews_total')?.get())?.values[0]?.value ?? 0;

describe('a review case’s preview', () => {
  it('is the claim holder’s only: not while nobody holds it, not another person’s, not once decided', async () => {
    const { caseId } = await seedCase();
    const counted = await previewsCounted();
    expect(await preview(eva, caseId)).toEqual(refused('MOD_ERR_API_CASE_NOT_CLAIMED'));
    expect((await claim(gia, caseId)).statusCode).toBe(200);
    expect(await preview(eva, caseId)).toEqual(refused('MOD_ERR_API_CASE_CLAIMED'));
    expect(await preview(gia, caseId)).toEqual(shown);
    expect((await decide(gia, caseId, { decision: 'dismiss', reason: 'benign' })).statusCode).toBe(200);
    expect(await preview(gia, caseId)).toEqual(refused('MOD_ERR_API_CASE_CLOSED'));
    // Shown once, to gia: opened (audited as a preview) and counted once; eva was shown nothing.
    expect(await previewsOpenedBy(gia)).toBe(1);
    expect(await previewsOpenedBy(eva)).toBe(0);
    expect((await previewsCounted()) - counted).toBe(1);
    expect(await previewRefusals(caseId)).toEqual([
      [eva.personId, 'MOD_ERR_REVIEW_NOT_CLAIMED'],
      [eva.personId, 'MOD_ERR_REVIEW_CASE_CLAIMED'],
      [gia.personId, 'MOD_ERR_REVIEW_CASE_CLOSED'],
    ]);
  });

  it('counts every preview shown as an exposure, each one audited', async () => {
    const { caseId } = await seedCase();
    expect((await claim(eva, caseId)).statusCode).toBe(200);
    const [counted, opened] = [await previewsCounted(), await previewsOpenedBy(eva)];
    for (let i = 0; i < 3; i++) expect(await preview(eva, caseId)).toEqual(shown);
    expect((await previewsCounted()) - counted).toBe(3);
    expect((await previewsOpenedBy(eva)) - opened).toBe(3);
  });
});

describe('a confirmation case’s preview', () => {
  it('is its authorities’ while it is open (nobody claims a confirmation), and nobody’s once closed', async () => {
    const { ana, officer1 } = people;
    const { caseId, submissionId } = await seedCase({
      score: 0.96,
      url: 'https://cdn.plat1.example/p/1.jpg',
    });
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    const done = await decide(ana, caseId, { decision: 'confirm', category: 'A', reason: 'abusive' });
    expect(done.statusCode).toBe(200);
    const { rows } = await api.db.query<{ id: string }>(
      `select id from cases where submission_id = $1 and kind = 'confirm'`,
      [submissionId],
    );
    const confirmCaseId = rows[0]!.id;
    expect(await preview(officer1, confirmCaseId)).toEqual(shown);
    for (const id of done.json<{ orderIds: string[] }>().orderIds)
      expect((await call(officer1, 'POST', `/v1/orders/${id}/confirm`, {})).status).toBe(200);
    expect(await preview(officer1, confirmCaseId)).toEqual(refused('MOD_ERR_API_CASE_CLOSED'));
    expect(await previewRefusals(confirmCaseId)).toEqual([[officer1.personId, 'MOD_ERR_REVIEW_CASE_CLOSED']]);
  });
});
