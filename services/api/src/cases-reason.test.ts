import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '@mod/contracts';
import { asPerson, photoSha256, type SignedIn } from './cases.test-helper.js';
import { openedByPolicy } from './policy-case.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// A case says why it opened as a code and its parameters (`reasonCoded`), beside the English `reason` stored and
// logged, so that the console says it in Vietnamese or English; an escalation carries the findings (hits, frames)
// of the case it came from, with the escalating person's reason and no code. Real PostgreSQL, real routes.

let ana: SignedIn, officer1: SignedIn;
const { api, people, seedCase, claim, decide, claimAndDecide } = useReviewWorld(
  {},
  { people: ['ana', 'officer1'] },
);
beforeAll(() => ({ ana, officer1 } = people));

/** A review bank's hit on the third frame of a GIF, as the scanner records it. */
const frameHit: Hit = {
  bankId: randomUUID(),
  bankName: 'frames-review',
  entryId: randomUUID(),
  signal: 'pdq',
  distance: 4,
  category: 'B',
  actionPolicy: 'review',
  negative: false,
  frame: 2,
};
const frames = { count: 5, examined: 3, hashed: 3 };

/** A review case whose reason and evidence are what policy writes for a GIF's frame hit (`evaluateVerdict`). */
async function seedFrameCase(): Promise<{ caseId: string; url: string }> {
  const url = `https://cdn.plat1.example/reason/${randomBytes(4).toString('hex')}.gif`;
  const { caseId } = await seedCase({ url });
  await openedByPolicy(api.db, caseId, { hits: [frameHit], hashes: { sha256: photoSha256 }, frames });
  return { caseId, url };
}

type Detail = {
  case: { reason: string; reasonCoded: unknown; kind: string };
  hits: { bankName: string; frame: number | null }[];
  frames: unknown;
};

describe('a case’s reason as a code', () => {
  it('is in the queue and the detail; null for a case opened before cases carried one', async () => {
    const { caseId } = await seedFrameCase();
    const detail = await asPerson(api.app, ana, 'GET', `/v1/cases/${caseId}`);
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json<Detail>().case).toMatchObject({
      reason: 'hit in review bank(s) frames-review',
      reasonCoded: { code: 'review-bank-hit', banks: ['frames-review'] },
    });
    const queue = await asPerson(api.app, ana, 'GET', '/v1/cases?limit=100');
    const listed = queue.json<{ cases: { id: string; reasonCoded: unknown }[] }>().cases;
    expect(listed.find((c) => c.id === caseId)?.reasonCoded).toEqual({
      code: 'review-bank-hit',
      banks: ['frames-review'],
    });
    const old = await seedCase({});
    const oldDetail = await asPerson(api.app, ana, 'GET', `/v1/cases/${old.caseId}`);
    expect(oldDetail.json<Detail>().case).toMatchObject({
      reason: 'classifier risk 0.90 asks for review',
      reasonCoded: null,
    });
  });

  it('names who confirmed, the category and the orders on the confirmation case', async () => {
    const url = `https://cdn.plat1.example/reason/${randomBytes(4).toString('hex')}.jpg`;
    const { caseId, submissionId } = await seedCase({ url, score: 0.95 });
    const done = await claimAndDecide(ana, caseId, { decision: 'confirm', category: 'B', reason: 'seen' });
    expect(done.statusCode, done.body).toBe(200);
    const orders = done.json<{ orderIds: string[] }>().orderIds.length;
    const { rows } = await api.db.query<{ id: string }>(
      `select id from cases where submission_id = $1 and kind = 'confirm'`,
      [submissionId],
    );
    const confirmation = await asPerson(api.app, officer1, 'GET', `/v1/cases/${rows[0]!.id}`);
    expect(confirmation.json<Detail>().case.reasonCoded).toEqual({
      code: 'confirm-confirmed',
      confirmedBy: 'reviewer',
      category: 'B',
      orders,
      takedownWithheldTo: null,
    });
  });
});

describe('an escalation', () => {
  it('shows the authority the hits and frames of the case it came from, with the escalating reason', async () => {
    const { caseId, url } = await seedFrameCase();
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    const escalated = await decide(ana, caseId, {
      decision: 'escalate',
      reason: 'khung thứ ba cần cơ quan xem',
      authorityTenantId: 'auth-1',
    });
    expect(escalated.statusCode, escalated.body).toBe(200);
    const { escalationId } = escalated.json<{ escalationId: string }>();
    const detail = await asPerson(api.app, officer1, 'GET', `/v1/cases/${escalationId}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const body = detail.json<Detail & { submission: { url: string | null } }>();
    expect(body.case).toMatchObject({
      kind: 'escalation',
      reason: 'khung thứ ba cần cơ quan xem',
      reasonCoded: null,
    });
    expect(body.hits.map((h) => [h.bankName, h.frame])).toEqual([['frames-review', 2]]);
    expect(body.frames).toEqual(frames);
    expect(body.submission.url).toBe(url);
  });
});
