import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Histogram, createLogger, createRegistry } from '@mod/telemetry';
import { createTestSchema, interlaced16BitBomb, type TestDatabase } from '@mod/testing';
import { createMediaClassifier, type MediaClassifier } from './media-classifier.js';
import { scannedMediaStep } from './scanned-media.test-helper.js';

// The classifier's own decode limits, through its worker pool with the real models and PostgreSQL: media the
// scanner took but whose decode would not fit the classifier's budget is dead-lettered with its code, and the next
// message is classified as usual.

const MODELS_DIR = fileURLToPath(new URL('../../../models', import.meta.url));
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const sea = readFileSync(new URL('../../../packages/classifier/fixtures/sea.jpg', import.meta.url));
const bomb = interlaced16BitBomb();

let db: TestDatabase;
const classifiers: MediaClassifier[] = [];

function mediaClassifier(o: { maxDecodedBytes?: number } = {}): MediaClassifier {
  const registry = createRegistry('classifier-decode-test');
  const c = createMediaClassifier({
    db: db.pool,
    modelsDir: MODELS_DIR,
    threads: 1,
    batchSize: 2,
    thresholds: {},
    ...o,
    logger: createLogger('classifier-decode-test', 'silent'),
    outcomes: new Counter({ name: 'o', help: 'o', labelNames: ['outcome'], registers: [registry] }),
    batches: new Histogram({ name: 'b', help: 'b', registers: [registry] }),
  });
  classifiers.push(c);
  return c;
}

beforeAll(async () => {
  db = await createTestSchema();
});

afterAll(async () => {
  await Promise.all(classifiers.map((c) => c.close()));
  await db?.drop();
});

describe('classifier decode limits (worker pool, real models and PostgreSQL)', () => {
  it('dead-letters media whose decode would not fit, without decoding it, and classifies the next', async () => {
    const { step, published, scannedMedia } = scannedMediaStep(mediaClassifier());
    // The header of a 10000×10000 16-bit interlaced RGBA PNG: its pixels cannot be decoded, so this code can only
    // come from the check before the decode.
    const refused = await step(scannedMedia(bomb).message);
    expect(refused).toMatchObject({ kind: 'dlq', code: 'MOD_ERR_CLASSIFIER_TOO_MANY_DECODED_BYTES' });
    const next = scannedMedia(photo);
    expect(await step(next.message)).toEqual({ kind: 'ok' });
    expect(published.map((c) => c.submissionId)).toEqual([next.submissionId]);
  });

  it('applies its own budget (CLASSIFIER_MAX_DECODED_BYTES) to media the scanner took', async () => {
    const { step, published, scannedMedia } = scannedMediaStep(mediaClassifier({ maxDecodedBytes: 1024 }));
    // Another photo than the first test's: a classification is cached by digest and never decoded again.
    expect(await step(scannedMedia(sea).message)).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFIER_TOO_MANY_DECODED_BYTES',
    });
    expect(published).toEqual([]);
  });
});
