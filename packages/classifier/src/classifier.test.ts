import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClassifier,
  type Classification,
  type Classifier,
  type ClassifierResult,
} from './classifier.js';
import { ClassifierErrorCode } from './errors.js';
import { riskScore } from './risk.js';
import { benignImages, renderLandscape } from './benign-images.test-helper.js';

const MODELS_DIR = join(import.meta.dirname, '../../../models');
const FIXTURES = join(import.meta.dirname, '../fixtures');
const fixture = async (name: string): Promise<Uint8Array> =>
  new Uint8Array(await readFile(join(FIXTURES, name)));

function ok(r: ClassifierResult | undefined): Classification {
  if (r === undefined || !r.ok) throw new Error(`expected a classification, got ${JSON.stringify(r)}`);
  return r;
}

let classifier: Classifier;

beforeAll(async () => {
  classifier = await createClassifier({ modelsDir: MODELS_DIR, batchSize: 4 });
});
afterAll(() => classifier.dispose());

describe('createClassifier', () => {
  it('reports the backend and the verified model versions', () => {
    expect(['wasm', 'tensorflow']).toContain(classifier.backend.name);
    expect(classifier.modelVersions.map((m) => m.id)).toEqual(['nsfw-mobilenet-v2', 'face-age']);
    expect(classifier.modelVersions[0]?.version).toBe('nsfwjs@4.4.0/mobilenet_v2');
  });

  it('refuses bad options with a typed error', async () => {
    await expect(createClassifier({ modelsDir: MODELS_DIR, batchSize: 0 })).rejects.toMatchObject({
      code: ClassifierErrorCode.INVALID_ARGUMENT,
    });
    await expect(createClassifier({ modelsDir: '' })).rejects.toMatchObject({
      code: ClassifierErrorCode.INVALID_ARGUMENT,
    });
  });
});

describe('classify', () => {
  it('gives the same scores for the same image twice, and in a batch as alone', async () => {
    const a = await fixture('portrait-painting.jpg');
    const b = await fixture('sea.jpg');
    const [first] = await classifier.classify([a]);
    const [second] = await classifier.classify([a]);
    expect(ok(second)).toEqual(ok(first));
    const batch = await classifier.classify([b, a, b]);
    for (const k of ['drawing', 'hentai', 'neutral', 'porn', 'sexy'] as const) {
      expect(ok(batch[1]).nsfw[k]).toBeCloseTo(ok(first).nsfw[k], 5);
    }
    expect(ok(batch[0]).nsfw).toEqual(ok(batch[2]).nsfw);
  });

  it('scores generated landscapes, drawings and text low on the sexual classes', async () => {
    const images = await benignImages(12, 100);
    const results = await classifier.classify(images);
    expect(results).toHaveLength(12);
    for (const r of results.map(ok)) {
      expect(r.nsfw.porn).toBeLessThan(0.1);
      expect(r.nsfw.sexy).toBeLessThan(0.1);
      expect(r.nsfw.hentai).toBeLessThan(0.1);
      expect(riskScore(r).reviewRequired).toBe(false);
      const sum = r.nsfw.drawing + r.nsfw.hentai + r.nsfw.neutral + r.nsfw.porn + r.nsfw.sexy;
      expect(sum).toBeCloseTo(1, 4);
    }
  });

  it('finds a face and estimates an adult age for an adult', async () => {
    const r = ok((await classifier.classify([await fixture('face-adult.jpg')]))[0]);
    expect(r.faces).toHaveLength(1);
    const face = r.faces?.[0];
    expect(face?.confidence).toBeGreaterThan(0.6);
    expect(face?.apparentAgeYears).toBeGreaterThan(18);
    expect(face?.minorProbability).toBeLessThan(0.5);
    expect(r.apparentMinor).toMatchObject({ flagged: false, ageThresholdYears: 18, facesEvaluated: true });
    expect(r.models.map((m) => m.id)).toEqual(['nsfw-mobilenet-v2', 'face-age']);
  });

  it('finds no faces in a landscape', async () => {
    const r = ok((await classifier.classify([renderLandscape(5)]))[0]);
    expect(r.faces).toEqual([]);
    expect(r.apparentMinor.probability).toBe(0);
  });

  it('decodes greyscale-with-alpha and CMYK inputs like RGB', async () => {
    const rgb = renderLandscape(9);
    const base = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
    const grey = await base.clone().greyscale().ensureAlpha(0.8).png().toBuffer();
    const cmyk = await base.clone().toColourspace('cmyk').jpeg().toBuffer();
    const results = (await classifier.classify([new Uint8Array(grey), new Uint8Array(cmyk)])).map(ok);
    expect(results.map((r) => r.image)).toEqual([
      { width: 320, height: 240 },
      { width: 320, height: 240 },
    ]);
  });

  it('returns typed failures for bad inputs without failing the rest of the batch', async () => {
    const good = await fixture('sea.jpg');
    const results = await classifier.classify([
      new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]),
      new Uint8Array(0),
      good,
      { data: new Uint8Array(10), width: 4, height: 4, channels: 3 },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      ClassifierErrorCode.DECODE,
      ClassifierErrorCode.DECODE,
      'ok',
      ClassifierErrorCode.DECODE,
    ]);
  });

  it('refuses images over the pixel limit as TOO_LARGE', async () => {
    const small = await createClassifier({ modelsDir: MODELS_DIR, faces: false, maxInputPixels: 100 * 100 });
    try {
      const big = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#888' } })
        .png()
        .toBuffer();
      const [r] = await small.classify([new Uint8Array(big)]);
      expect(r).toMatchObject({ ok: false, error: { code: ClassifierErrorCode.TOO_LARGE } });
      const [nsfwOnly] = await small.classify([renderLandscape(3, 64, 64)]);
      expect(ok(nsfwOnly).faces).toBeNull();
      expect(ok(nsfwOnly).apparentMinor.facesEvaluated).toBe(false);
    } finally {
      small.dispose();
    }
  });

  it('rejects use after dispose', async () => {
    const c = await createClassifier({ modelsDir: MODELS_DIR, faces: false });
    c.dispose();
    await expect(c.classify([])).rejects.toMatchObject({ code: ClassifierErrorCode.DISPOSED });
  });
});

describe('face gate', () => {
  it('skips the face model below the gate without changing the NSFW scores', async () => {
    const gated = await createClassifier({ modelsDir: MODELS_DIR, faceMinSexualProbability: 0.35 });
    try {
      const face = await fixture('face-adult.jpg');
      const [g] = await gated.classify([face]);
      const [full] = await classifier.classify([face]);
      expect(ok(g).faces).toBeNull();
      expect(ok(g).apparentMinor).toMatchObject({ facesEvaluated: false, probability: 0, flagged: false });
      expect(ok(g).models.map((m) => m.id)).toEqual(['nsfw-mobilenet-v2']);
      expect(ok(g).nsfw).toEqual(ok(full).nsfw);
    } finally {
      gated.dispose();
    }
  });
});
