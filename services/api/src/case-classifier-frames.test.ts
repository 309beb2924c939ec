import { describe, expect, it } from 'vitest';
import type { Classification } from '@mod/contracts';
import { asPerson, classification, photoSha256 } from './cases.test-helper.js';
import { openedByPolicy } from './policy-case.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// A case the classifier opened for a multi-frame file says which frame gave it its risk and how many frames were
// scored (`classifierFrames`), and a case opened because the classifier left frames unscored says so, typed, with
// why (`reasonCoded`: review-frames-unscored; an animated PNG's later frames: no-decoder). Real PostgreSQL, real
// routes; the evidence is what policy writes for the classification (`evaluateVerdict`).

const { api, people, seedCase } = useReviewWorld({}, { people: ['ana'] });

/** What the classifier said of a multi-frame file (`frames`), or of a still image, and its risk. */
const classified = (score: number, frames?: Classification['frames']): Classification => ({
  ...classification(score),
  risk: { score, reviewRequired: score >= 0.7, explanation: 'test' },
  ...(frames === undefined ? {} : { frames }),
});

/** A review case whose reason and evidence are those policy writes for `c`. */
async function seedClassified(c: Classification): Promise<string> {
  const { caseId } = await seedCase({});
  await openedByPolicy(api.db, caseId, { hits: [], hashes: { sha256: photoSha256 }, classification: c });
  return caseId;
}

type Detail = { case: { reason: string; reasonCoded: unknown }; classifierFrames: unknown };
const detailOf = async (caseId: string): Promise<Detail> => {
  const r = await asPerson(api.app, people.ana, 'GET', `/v1/cases/${caseId}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json<Detail>();
};

describe('a case of a multi-frame file the classifier scored', () => {
  it('names the frame of the highest risk and the frames scored', async () => {
    const frames = { count: 12, examined: 12, scored: 9, riskFrame: 6 };
    const d = await detailOf(await seedClassified(classified(0.92, frames)));
    expect(d.classifierFrames).toEqual({ ...frames, unexamined: null });
    expect(d.case.reasonCoded).toEqual({ code: 'review-classifier', riskScore: 0.92 });
  });

  it('opened for frames the classifier could not score, says how many and why (an animated PNG)', async () => {
    const frames = { count: 4, examined: 1, scored: 1, riskFrame: 0, unexamined: 'no-decoder' as const };
    const d = await detailOf(await seedClassified(classified(0.05, frames)));
    expect(d.case.reasonCoded).toEqual({
      code: 'review-frames-unscored',
      examined: 1,
      count: 4,
      why: 'no-decoder',
    });
    expect(d.case.reason).toBe('only 1 of 4 frames classified (no-decoder)');
    expect(d.classifierFrames).toEqual(frames);
  });

  it('has none for a still image', async () => {
    expect((await detailOf(await seedClassified(classified(0.9)))).classifierFrames).toBeNull();
  });
});
