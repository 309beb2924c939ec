import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apngHidingDefault } from '@mod/contracts/testing/declared-images';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { createClassifier, type Classification, type Classifier } from './classifier.js';
import { highestRisk, riskScore } from './risk.js';

// Animated media whose first frame is benign and whose later frame scores higher: the classifier scores the frames
// the scanner hashes (its frame walk), and the item's risk is the highest over them, with the frame that gave it.
// Real models and real sharp-made GIF, WebP, TIFF and APNG files (the frames are the package's fixtures).

const MODELS_DIR = join(import.meta.dirname, '../../../models');
const fixture = (name: string) => readFile(join(import.meta.dirname, '../fixtures', name));
const [sea, face, painting] = await Promise.all([
  fixture('sea.jpg'),
  fixture('face-adult.jpg'),
  fixture('portrait-painting.jpg'),
]);
const size = { width: 160, height: 156 };

let classifier: Classifier;
beforeAll(async () => {
  classifier = await createClassifier({ modelsDir: MODELS_DIR, batchSize: 4 });
});
afterAll(() => classifier.dispose());

async function classify(bytes: Uint8Array, c = classifier): Promise<Classification> {
  const [r] = await c.classify([new Uint8Array(bytes)]);
  if (r === undefined || !r.ok) throw new Error(`expected a classification, got ${JSON.stringify(r)}`);
  return r;
}

/** Every scored frame's risk input, frame 0 first. */
const framesOf = (c: Classification) => [
  { index: 0, nsfw: c.nsfw, apparentMinor: c.apparentMinor },
  ...(c.frames?.later ?? []),
];

describe('multi-frame media: every distinct frame scored, the risk the highest', () => {
  for (const format of ['gif', 'webp'] as const) {
    it(`${format}: a later frame that scores higher than the benign first one gives the item its risk`, async () => {
      const anim = await animationOf([sea, sea, face, painting], { format, ...size });
      const c = await classify(anim);
      // The encoder keeps the repeated first picture as one frame: three frames, all examined.
      expect(c.frames).toMatchObject({ count: 3, examined: 3 });
      expect(c.frames?.unexamined).toBeUndefined();
      expect(c.frames?.later.map((f) => f.index)).toEqual([1, 2]);
      const first = riskScore(c);
      const { assessment, frame } = highestRisk(framesOf(c));
      expect(frame).toBe(1);
      expect(assessment.score).toBeGreaterThan(first.score + 0.005);
      // Frame 1 is scored as its pixels are on their own (decoded by sharp, written as a still PNG).
      const alone = await classify(await sharp(anim, { page: 1 }).png().toBuffer());
      expect(assessment.score).toBeCloseTo(riskScore(alone).score, 3);
      // The face model looked at the frame whose scores passed its gate (here every frame: gate 0).
      expect(c.frames?.later[0]?.faces?.length).toBe(1);
    });
  }

  it('scores the first frame only with maxFrames 1, and says why the others were not', async () => {
    const one = await createClassifier({ modelsDir: MODELS_DIR, maxFrames: 1, faces: false });
    try {
      const c = await classify(await animationOf([sea, face], { format: 'webp', ...size }), one);
      expect(c.frames).toEqual({ count: 2, examined: 1, later: [], unexamined: 'frame-limit' });
      expect(highestRisk(framesOf(c)).frame).toBe(0);
    } finally {
      one.dispose();
    }
  });

  it('stops at maxFrames distinct frames and counts the frames left', async () => {
    const two = await createClassifier({ modelsDir: MODELS_DIR, maxFrames: 2, faces: false });
    try {
      const c = await classify(
        await animationOf([sea, painting, face, sea], { format: 'gif', ...size }),
        two,
      );
      expect(c.frames).toMatchObject({ count: 4, examined: 2, unexamined: 'frame-limit' });
      expect(c.frames?.later.map((f) => f.index)).toEqual([1]);
    } finally {
      two.dispose();
    }
  });

  it('decodes the frames in strips that fit maxDecodedBytes, with the scores of one decode', async () => {
    const anim = await animationOf([sea, painting, face, painting, sea], { format: 'gif', ...size });
    // One 160×156 GIF frame takes about 200 KiB to decode and each next one 100 KiB: strips of two or three frames.
    const small = await createClassifier({ modelsDir: MODELS_DIR, maxDecodedBytes: 400_000, faces: false });
    try {
      const c = await classify(anim, small);
      const whole = await classify(anim);
      expect(c.frames).toMatchObject({ count: 5, examined: 5 });
      expect(c.frames?.later.map((f) => [f.index, f.nsfw])).toEqual(
        whole.frames?.later.map((f) => [f.index, f.nsfw]),
      );
    } finally {
      small.dispose();
    }
  });

  it('scores every page of a multi-page TIFF', async () => {
    const raws = await Promise.all(
      [sea, face].map((f) => sharp(f).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer()),
    );
    const raw = { width: size.width, height: size.height * 2, channels: 3 as const, pageHeight: size.height };
    const c = await classify(await sharp(Buffer.concat(raws), { raw }).tiff().toBuffer());
    expect(c.frames).toMatchObject({ count: 2, examined: 2 });
    expect(highestRisk(framesOf(c)).frame).toBe(1);
  });

  it('an animated PNG: its first shown frame scored, the rest counted as undecodable (no decoder reads them)', async () => {
    const still = (f: Buffer) => sharp(f).resize(size.width, size.height, { fit: 'fill' }).png().toBuffer();
    const [a, b] = await Promise.all([still(sea), still(face)]);
    // It announces a second frame after the one shown first.
    const c = await classify(apngHidingDefault(a, b, 2));
    expect(c.frames).toEqual({ count: 2, examined: 1, later: [], unexamined: 'no-decoder' });
    // The frame shown first (the face), not the hidden default image (the sea).
    expect(c.nsfw).toEqual((await classify(b)).nsfw);
  });

  it('keeps a still image as it was: no frames', async () => {
    expect((await classify(sea)).frames).toBeUndefined();
  });
});
