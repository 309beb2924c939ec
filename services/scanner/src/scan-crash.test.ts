import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submissionScanState } from '@mod/db/submissions';
import { MAX_WORKER_CRASHES } from '@mod/hashing';
import type { HashTaskInput, HashTaskOutput } from '@mod/hashing/pool';
import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import { heapHungryPng, heapHungryTaskFilename } from '@mod/hashing/testing';
import { createTestSchema, seedTenants, type TestDatabase } from '@mod/testing';
import { hostileScan, MAX_ATTEMPTS } from './scan-hostile.test-helper.js';

// Media that crashes its worker, for real: a PNG (heapHungryPng) on which the pool's task (the hash task, but for
// that mark: heap-hungry-task in @mod/hashing) takes its worker's V8 heap past the 16 MiB this pool allows
// (ERR_WORKER_OUT_OF_MEMORY; piscina starts another worker), through the scan step and the real PostgreSQL store,
// retried as the runner retries it. No media crashes the hash task itself so any more (the PNG of 400,000 empty chunks
// once did: it is refused now, MOD_ERR_HASH_TOO_MANY_CHUNKS). A pool whose every worker exits on every
// task (exit-on-every-task.test-worker.ts, a task module of this test's own) stands for a pool broken as a whole.

let db: TestDatabase;
const healthy = new Piscina<HashTaskInput, HashTaskOutput>({
  filename: heapHungryTaskFilename,
  maxThreads: 1,
  maxQueue: 4,
  resourceLimits: { maxOldGenerationSizeMb: 16 },
});
const broken = new Piscina<HashTaskInput, HashTaskOutput>({
  filename: fileURLToPath(new URL('./exit-on-every-task.test-worker.ts', import.meta.url)),
  maxThreads: 1,
  maxQueue: 4,
});
let current = healthy;

beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
});
afterAll(async () => {
  await Promise.all([healthy.destroy(), broken.destroy()]);
  await db.drop();
});

const crashing = (background: string) => heapHungryPng(background);
const photo = (seed: number) => seededPhoto(seed, { width: 320, height: 240, ringPeriod: 9, quality: 85 });

describe('scan step: media that crashes its hashing worker', () => {
  it(`is failed at its ${MAX_WORKER_CRASHES}nd crash and not tried a third time; sent again, at its first`, async () => {
    current = healthy;
    const { scanUntilFinal } = hostileScan(db, () => current);
    const media = await crashing('#808080');
    expect(MAX_WORKER_CRASHES).toBe(2);
    const first = await scanUntilFinal(media);
    expect(first).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_WORKER_CRASHED' },
      attempts: 2,
      decodes: 2,
      probes: 2,
      status: 'failed',
    });
    // The same content under a new submission (sent again, replayed): its first crash is its content's second.
    const again = await scanUntilFinal(media);
    expect(again).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_WORKER_CRASHED' },
      attempts: 1,
      decodes: 1,
      status: 'failed',
    });
  });

  it('is retried at its first crash, and other media is hashed right after it', async () => {
    current = healthy;
    const { attempt, scanUntilFinal, published } = hostileScan(db, () => current);
    const submissionId = randomUUID();
    expect(await attempt(await crashing('#336699'), submissionId)).toMatchObject({
      kind: 'retry',
      error: { code: 'MOD_ERR_HASH_WORKER_CRASHED' },
    });
    expect((await submissionScanState(db.pool, submissionId))?.status).not.toBe('failed');
    const innocent = await scanUntilFinal(await photo(11));
    expect(innocent).toMatchObject({ outcome: { kind: 'ok' }, attempts: 1, decodes: 1, probes: 0 });
    expect(innocent.status).not.toBe('failed');
    expect(published).toHaveLength(1);
  });

  it('counts no crash against media while the whole pool fails, the probe failing too', async () => {
    current = broken;
    const { scanUntilFinal } = hostileScan(db, () => current);
    const innocent = await photo(12);
    // Were these crashes counted, the photo would have failed at its second attempt.
    const r = await scanUntilFinal(innocent);
    expect(r).toMatchObject({ outcome: { kind: 'retry' }, attempts: MAX_ATTEMPTS, probes: MAX_ATTEMPTS });
    expect(r.status).not.toBe('failed');
    // The pool mended, the photo is hashed.
    current = healthy;
    expect(await scanUntilFinal(innocent)).toMatchObject({ outcome: { kind: 'ok' }, attempts: 1, probes: 0 });
  });
});
