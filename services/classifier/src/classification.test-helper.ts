import { createHash, randomUUID } from 'node:crypto';
import type { Classification, Verdict } from '@mod/contracts';

/** The internal media topic of the step's tests (topic prefix `p.`). */
export const MEDIA_TOPIC = 'p.mod.media-submitted.v2';
/** Media of the step's tests (the model is scripted, so any bytes do), and its SHA-256. */
export const bytes = Buffer.from('an image, as far as this step is concerned');
export const sha256 = createHash('sha256').update(bytes).digest('hex');

/**
 * What the models say about a picture, for the step's tests: high porn scores and review asked for, or a
 * low-risk picture that needs no one. No face was evaluated; the model versions are placeholders.
 */
export const classificationOf = (reviewRequired: boolean): Classification => ({
  scores: {
    drawing: 0,
    hentai: 0,
    neutral: reviewRequired ? 0.1 : 0.9,
    porn: reviewRequired ? 0.8 : 0,
    sexy: 0.1,
  },
  apparentMinor: {
    probability: 0,
    flagged: false,
    facesEvaluated: false,
    ageThresholdYears: 18,
    probabilityThreshold: 0.5,
  },
  risk: { score: reviewRequired ? 0.85 : 0.1, reviewRequired, explanation: 'test' },
  models: [{ id: 'nsfw-mobilenet-v2', version: '1', sha256: 'x' }],
  backend: 'wasm',
  cached: false,
});

/** The scanner's verdict on `platform-1`'s submission `submissionId` of content `digest`: it matched nothing. */
export const noMatchVerdict = (submissionId: string, digest = sha256): Verdict => ({
  eventId: randomUUID(),
  submissionId,
  tenantId: 'platform-1',
  sourceEventId: randomUUID(),
  decision: 'no-match',
  hashes: { sha256: digest, sha1: 'a'.repeat(40), md5: 'b'.repeat(32) },
  width: 1,
  height: 1,
  hits: [],
  scannedAt: new Date().toISOString(),
  scannerVersion: 'scanner/0.1.0',
});
