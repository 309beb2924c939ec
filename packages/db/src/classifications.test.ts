import { describe, expect, it } from 'vitest';
import { findClassification, saveClassification, type StoredClassification } from './classifications.js';
import { db, useTestSchema } from './testing.test-helper.js';

// The classifier's cache keeps each result's frames (in its scores document: no column of their own), and a result
// with frames replaces one stored before frames were scored, on real PostgreSQL.

useTestSchema({});

const scores = (porn: number) => ({ drawing: 0, hentai: 0, neutral: 1 - porn, porn, sexy: 0 });
const minor = {
  probability: 0,
  flagged: false,
  facesEvaluated: false,
  ageThresholdYears: 18,
  probabilityThreshold: 0.5,
};
const result = (
  sha256: string,
  frames?: StoredClassification['frames'],
): Omit<StoredClassification, 'classifiedAt'> => ({
  sha256,
  scores: scores(0),
  apparentMinor: minor,
  models: [{ id: 'nsfw-mobilenet-v2', version: '1', sha256: 'x' }],
  backend: 'wasm',
  ...(frames === undefined ? {} : { frames }),
});
const frames = (porn: number): NonNullable<StoredClassification['frames']> => ({
  count: 3,
  examined: 2,
  later: [{ index: 1, scores: scores(porn), apparentMinor: minor }],
  unexamined: 'frame-limit',
});

describe('classifications cache', () => {
  it('gives back the frames a result was stored with, and none for a row without them', async () => {
    await saveClassification(db.pool, result('a'.repeat(64), frames(0.9)));
    await saveClassification(db.pool, result('b'.repeat(64)));
    const [a, b] = await Promise.all([
      findClassification(db.pool, 'a'.repeat(64)),
      findClassification(db.pool, 'b'.repeat(64)),
    ]);
    expect(a).toMatchObject({ scores: scores(0), frames: frames(0.9) });
    expect(b?.scores).toEqual(scores(0));
    expect(b?.frames).toBeUndefined();
  });

  it('replaces a result stored before frames were scored, and keeps the first of two with frames', async () => {
    const sha = 'c'.repeat(64);
    await saveClassification(db.pool, result(sha));
    await saveClassification(db.pool, result(sha, frames(0.8)));
    expect((await findClassification(db.pool, sha))?.frames).toEqual(frames(0.8));
    await saveClassification(db.pool, result(sha, frames(0.1)));
    expect((await findClassification(db.pool, sha))?.frames).toEqual(frames(0.8));
  });
});
