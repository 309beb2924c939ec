import { createHash, randomUUID } from 'node:crypto';
import type { Classification, Hit, Verdict } from '@mod/contracts';

/** The actioner's tests' verdicts: digests derived from the submission id, the decision from the hits. */

const hex = (s: string, bytes: number) =>
  createHash('sha512')
    .update(s)
    .digest('hex')
    .slice(0, bytes * 2);

/** A verdict of `platform-1` on `submissionId`, a fresh event, with `hits` and `o` over the defaults. */
export function verdictOf(submissionId: string, hits: Hit[], o: Partial<Verdict> = {}): Verdict {
  const negative = hits.some((h) => h.negative);
  return {
    eventId: randomUUID(),
    submissionId,
    tenantId: 'platform-1',
    sourceEventId: randomUUID(),
    decision: negative ? 'suppressed' : hits.length > 0 ? 'match' : 'no-match',
    hashes: {
      sha256: hex(submissionId, 32),
      sha1: hex(`1${submissionId}`, 20),
      md5: hex(`5${submissionId}`, 16),
    },
    width: 640,
    height: 480,
    hits,
    scannedAt: '2026-12-05T09:59:59.000Z',
    scannerVersion: 'scanner/0.1.0',
    ...o,
  };
}

/** A classifier result of risk `score`, asking for review or not (the actioner opens a case when it does). */
export const classificationOf = (score: number, reviewRequired: boolean): Classification => ({
  scores: { drawing: 0.01, hentai: 0.01, neutral: 1 - score, porn: score - 0.02, sexy: 0 },
  apparentMinor: {
    probability: 0.1,
    flagged: false,
    facesEvaluated: true,
    ageThresholdYears: 18,
    probabilityThreshold: 0.5,
  },
  risk: { score, reviewRequired, explanation: 'test' },
  models: [{ id: 'nsfw', version: '1', sha256: 'ab'.repeat(32) }],
  backend: 'wasm',
  cached: false,
});
