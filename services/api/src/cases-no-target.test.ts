import { beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// A confirmation with no one to send an order to: no ISP subscribed to blocking, no platform known for the
// content's URL (an upload without one). Real PostgreSQL, real routes, a person signed in.

let ana: SignedIn;
const { api, people, seedCase, claim, decide } = useReviewWorld({}, { people: ['ana'] });
beforeAll(() => ({ ana } = people));

const keptMedia = async (submissionId: string) => {
  const [item] = await api.world.vault.list({ scope: { all: true }, submissionId, limit: 1 });
  if (item === undefined) throw new Error('no kept media');
  return item;
};

describe("a reviewer's confirmation that issues no order", () => {
  it('opens no confirmation case nobody could ever close: the media’s retention clock starts', async () => {
    const { caseId, submissionId } = await seedCase();
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    const done = await decide(ana, caseId, { decision: 'confirm', category: 'B', reason: 'seen: abusive' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json<{ orderIds: string[] }>().orderIds).toEqual([]);
    // A confirmation case closes only through its orders' commands: one without orders would stay open for ever,
    // in every authority's queue, holding the kept media past its retention.
    const { rows } = await api.db.query(
      `select id from cases where submission_id = $1 and kind = 'confirm'`,
      [submissionId],
    );
    expect(rows).toEqual([]);
    const media = await keptMedia(submissionId);
    expect(media).toMatchObject({ caseId, destroyedAt: null });
    expect(media.caseClosedAt).not.toBeNull();
  });
});
