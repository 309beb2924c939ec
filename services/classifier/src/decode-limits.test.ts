import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { interlaced16BitBomb } from '@mod/testing';
import { scannedMediaStep, useTestClassifiers } from './scanned-media.test-helper.js';

// The classifier's own decode limits, through its worker pool with the real models and PostgreSQL: media the
// scanner took but whose decode would not fit the classifier's budget is dead-lettered with its code, and the next
// message is classified as usual.

const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const sea = readFileSync(new URL('../../../packages/classifier/fixtures/sea.jpg', import.meta.url));
const bomb = interlaced16BitBomb();

const mediaClassifier = useTestClassifiers('classifier-decode-test');

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
