import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClassification, saveClassification } from '@mod/db/submissions';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { Counter, Histogram, createLogger, createRegistry } from '@mod/telemetry';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { classificationOf } from './classification.test-helper.js';
import { createMediaClassifier, type ClassifyOutcome, type MediaClassifier } from './media-classifier.js';

// An animated WebP whose first frame is a benign sea and whose second is a photo the model scores higher, through
// the classifier's worker pool with the real models and its cache on PostgreSQL: the media takes its second frame's
// risk (over the review threshold, where the first frame's is not) and names that frame; frames left unscored are
// counted; a result cached before frames were scored (the first frame's) is not trusted for such media.

const MODELS_DIR = fileURLToPath(new URL('../../../models', import.meta.url));
const fixture = (name: string) =>
  readFileSync(new URL(`../../../packages/classifier/fixtures/${name}`, import.meta.url));
const [sea, face] = [fixture('sea.jpg'), fixture('face-adult.jpg')];
const size = { width: 160, height: 156 };
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** Between the two frames' risks (about 0 and 0.06 under the default weights). */
const thresholds = { reviewThreshold: 0.03 };

let db: TestDatabase;
let anim: Buffer;
const opened: MediaClassifier[] = [];
const registry = createRegistry('classifier-frames-test');
const unexamined = new Counter({ name: 'u', help: 'u', labelNames: ['reason'], registers: [registry] });

function mediaClassifier(o: { maxFrames?: number } = {}): MediaClassifier {
  const c = createMediaClassifier({
    db: db.pool,
    modelsDir: MODELS_DIR,
    threads: 1,
    batchSize: 4,
    thresholds,
    ...o,
    logger: createLogger('classifier-frames-test', 'silent'),
    outcomes: new Counter({
      name: `o${opened.length}`,
      help: 'o',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    batches: new Histogram({ name: `b${opened.length}`, help: 'b', registers: [registry] }),
    unexaminedFrames: unexamined,
  });
  opened.push(c);
  return c;
}

const classification = (outcome: ClassifyOutcome) => {
  if (!outcome.ok) throw new Error(`expected a classification, got ${JSON.stringify(outcome.error)}`);
  return outcome.classification;
};

beforeAll(async () => {
  db = await createTestSchema();
  anim = await animationOf([sea, face], { format: 'webp', ...size });
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await db?.drop();
});

describe('multi-frame media through the classifier service (worker pool, real models and PostgreSQL)', () => {
  it('takes the risk of its highest frame, names that frame, and gives the same from the cache', async () => {
    const classifier = mediaClassifier();
    const c = classification(await classifier.classify(sha256(anim), anim));
    expect(c.frames).toEqual({ count: 2, examined: 2, scored: 2, riskFrame: 1 });
    expect(c.risk.reviewRequired).toBe(true);
    expect(c.risk.explanation).toMatch(/^frame 1 \(from 0\), the highest of 2 scored of 2: score /);
    // The first frame alone, as it was scored before: under the threshold.
    const first = classification(await classifier.classify(sha256(sea), sea));
    expect(first.risk.score).toBeLessThan(thresholds.reviewThreshold);
    expect(c.risk.score).toBeGreaterThan(first.risk.score);
    expect(first.frames).toBeUndefined();
    const again = classification(await classifier.classify(sha256(anim), anim));
    expect(again).toEqual({ ...c, cached: true });
  });

  it('counts the frames it did not score, by why', async () => {
    const two = await animationOf([sea, face], { format: 'gif', ...size });
    const c = classification(await mediaClassifier({ maxFrames: 1 }).classify(sha256(two), two));
    expect(c.frames).toEqual({
      count: 2,
      examined: 1,
      scored: 1,
      riskFrame: 0,
      unexamined: 'frame-limit',
    });
    const counted = (await unexamined.get()).values.find((v) => v.labels.reason === 'frame-limit');
    expect(counted?.value).toBe(1);
  });

  it('classifies again an animation whose cached result predates frame scoring, and replaces it', async () => {
    const stale = await animationOf([sea, face, sea], { format: 'webp', ...size });
    const digest = sha256(stale);
    // As a classifier before this change stored it: frame 0's scores, no frames.
    const old = classificationOf(false);
    await saveClassification(db.pool, {
      sha256: digest,
      scores: old.scores,
      apparentMinor: old.apparentMinor,
      models: old.models,
      backend: old.backend,
    });
    const c = classification(await mediaClassifier().classify(digest, stale));
    expect(c).toMatchObject({
      cached: false,
      frames: { count: 3, riskFrame: 1 },
      risk: { reviewRequired: true },
    });
    expect((await findClassification(db.pool, digest))?.frames?.count).toBe(3);
  });
});
