import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '@mod/contracts';
import { createTenantDirectory, submissionScanState } from '@mod/db/submissions';
import { createHashPool, runHashTask } from '@mod/hashing/pool';
import { flatLosslessWebp, flatRgbaPng, seededPhoto } from '@mod/hashing/synthetic-photos';
import { BankMatcher } from '@mod/matcher';
import { Counter, createRegistry, createStepMetrics, stageTimer } from '@mod/telemetry';
import { createTestSchema, seedTenants, uploadedMediaMessage, type TestDatabase } from '@mod/testing';
import { createScanStep } from './scan-step.js';
import { createPgScanStore } from './scan-store.js';
import { MAX_DECODE_TIMEOUTS } from './steps/hash-media.js';

// Hostile media, built here with sharp, through the scan step with the real hash pool (worker threads, sharp) and
// the real PostgreSQL store, driven as the runner drives it: the step again after each retry, until a final outcome.
// What is counted is attempts (decodes paid for), never time.

const MEDIA_TOPIC = 'mod.media-submitted.v2';
/** A decode budget far below what the slow picture takes on any machine (it takes seconds). */
const DECODE_TIMEOUT_MS = 200;
/** Attempts the loop gives a message at most: the old behaviour (3 timeouts) and a retry for ever both show. */
const MAX_ATTEMPTS = 6;

let db: TestDatabase;
const pool = createHashPool({ maxThreads: 1, maxQueue: 4 });
const published: Verdict[] = [];
let decodes = 0;

beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
});
afterAll(async () => {
  await pool.destroy();
  await db.drop();
});

function scanStep() {
  const registry = createRegistry('scan-hostile');
  return createScanStep({
    hash: (bytes, options) => {
      decodes++;
      return runHashTask(pool, bytes, options);
    },
    dihedral: false,
    decodeTimeoutMs: DECODE_TIMEOUT_MS,
    banks: { matcher: () => new BankMatcher(), meta: () => undefined },
    store: createPgScanStore(db.pool, createTenantDirectory(db.pool)),
    publish: async (v) => void published.push(v),
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: '',
    maxMediaBytes: 5 * 1024 * 1024,
    hits: new Counter({ name: 'hits', help: 'h', labelNames: ['signal'], registers: [registry] }),
    stages: stageTimer(createStepMetrics(registry), 'scan'),
  });
}

/** Runs the step on `media` as the runner does (again after each retry); answers the final outcome and attempts. */
async function scanUntilFinal(step: ReturnType<typeof createScanStep>, media: Buffer) {
  const submissionId = randomUUID();
  const before = decodes;
  for (let attempt = 1; ; attempt++) {
    const m = uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId, value: Buffer.from(media) });
    const outcome = await step(m);
    if (outcome.kind !== 'retry' || attempt === MAX_ATTEMPTS) {
      const state = await submissionScanState(db.pool, submissionId);
      return { outcome, attempts: attempt, decodes: decodes - before, status: state?.status };
    }
  }
}

/** A lossless WebP of 36 MP: a few kilobytes within every decode limit, whose decode takes seconds. */
const slowPicture = (background: string) => flatLosslessWebp(6000, 6000, background);

describe('scan step: hostile media costs one decode, or two when it hits the time limit', () => {
  it('dead-letters a decompression bomb and a truncated file on their first attempt', async () => {
    // The decompression bomb: a 10000 × 10000 16-bit interlaced PNG, about 1 MB that would take 1.2 GB to decode
    // (refused from its header, before a pixel is decoded); and a photo cut after its first kilobyte.
    const step = scanStep();
    const bomb = await flatRgbaPng(10_000, 10_000, { bits16: true, interlaced: true, compressionLevel: 9 });
    const photo = await seededPhoto(7, { width: 640, height: 480, ringPeriod: 9, quality: 85 });
    const cases: [Buffer, string][] = [
      [bomb, 'MOD_ERR_HASH_TOO_MANY_DECODED_BYTES'],
      [photo.subarray(0, 1024), 'MOD_ERR_HASH_DECODE_FAILED'],
    ];
    for (const [media, code] of cases) {
      const r = await scanUntilFinal(step, media);
      expect(r).toMatchObject({ outcome: { kind: 'dlq', code }, attempts: 1, decodes: 1, status: 'failed' });
    }
  });

  it(`dead-letters media past its decode time limit on the ${MAX_DECODE_TIMEOUTS}nd attempt, and the same bytes sent again on the first`, async () => {
    const step = scanStep();
    const slow = await slowPicture('#336699');
    const first = await scanUntilFinal(step, slow);
    expect(MAX_DECODE_TIMEOUTS).toBe(2);
    expect(first).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_TIMEOUT' },
      attempts: 2,
      decodes: 2,
      status: 'failed',
    });
    // The same content under a new submission (a partner sending it again, a replay): its first timeout is its
    // content's second, and it costs one decode, not two more.
    const again = await scanUntilFinal(step, slow);
    expect(again).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_TIMEOUT' },
      attempts: 1,
      decodes: 1,
      status: 'failed',
    });
    // Other content that times out once is still given its second try.
    const other = await slowPicture('#663399');
    const m = uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId: randomUUID(), value: other });
    expect(await step(m)).toMatchObject({ kind: 'retry' });
    expect(published).toEqual([]);
  });
});
