import { Piscina } from 'piscina';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PNG_CHUNKS } from './apng.js';
import { fixture } from './fixtures.test-helper.js';
import { probeImage } from './probe-image.js';
import { pngOfEmptyChunks } from './synthetic-photos.test-helper.js';
import type { HashTaskInput, HashTaskOutput } from './task-types.js';
// The pools run compiled task files (dist/hash-task.js, dist/testing/heap-hungry-task.js): from the built package.
import { createHashPool, runHashTask } from '@mod/hashing/pool';
import { heapHungryPng, heapHungryTaskFilename } from '@mod/hashing/testing';

// A heap of 16 MiB per worker: sharp, the task and an ordinary picture fit in it many times over.
const resourceLimits = { maxOldGenerationSizeMb: 16 };
// 24 MiB for the walks of many chunks: an object kept per chunk (about 400 bytes each) needs some 40 MB for the
// most the limit allows; the walk that keeps none still ran out of 16 MiB once in some fifteen runs on a loaded
// machine, its garbage not yet collected.
const chunkWalkLimits = { maxOldGenerationSizeMb: 24 };
const PHOTO_PDQ = 'fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda';

describe('hash worker pool of a 24 MiB heap: a PNG of many empty chunks', () => {
  // Both once took this worker past its heap (ERR_WORKER_OUT_OF_MEMORY: an object kept per chunk walked).
  const pool = createHashPool({ maxThreads: 1, maxQueue: 4, resourceLimits: chunkWalkLimits });
  afterAll(async () => {
    await pool.destroy();
  });

  it('of 400,000 chunks (4.8 MB) is refused with MOD_ERR_HASH_TOO_MANY_CHUNKS, not retriable, and the worker lives', async () => {
    expect(await runHashTask(pool, await pngOfEmptyChunks(400_000))).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_HASH_TOO_MANY_CHUNKS', retriable: false },
    });
    // One past the limit: its own 4 chunks (IHDR, pHYs, IDAT, IEND) beside the empty ones.
    expect(await runHashTask(pool, await pngOfEmptyChunks(MAX_PNG_CHUNKS - 3))).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_HASH_TOO_MANY_CHUNKS' },
    });
    const next = await runHashTask(pool, fixture('pdq/pytx/rgb.jpeg'));
    expect(next.ok && next.hashes.pdq).toBe(PHOTO_PDQ);
  });

  it('of as many chunks as the limit allows is hashed within the heap', async () => {
    const png = await pngOfEmptyChunks(MAX_PNG_CHUNKS - 4); // MAX_PNG_CHUNKS in all (1.2 MB)
    expect(await runHashTask(pool, png)).toMatchObject({
      ok: true,
      hashes: { format: 'png', width: 8, height: 8 },
    });
  });

  it('answers the probe image', async () => {
    expect(await runHashTask(pool, probeImage())).toMatchObject({
      ok: true,
      hashes: { bytes: 93, format: 'png' },
    });
  });
});

describe('hash worker pool: a worker that crashes', () => {
  // The hash task, except that media marked by heapHungryPng takes its worker's heap past these limits.
  const pool = new Piscina<HashTaskInput, HashTaskOutput>({
    filename: heapHungryTaskFilename,
    maxThreads: 1,
    maxQueue: 4,
    resourceLimits,
  });
  afterAll(async () => {
    await pool.destroy();
  });

  it('is MOD_ERR_HASH_WORKER_CRASHED (retriable) and ends that worker alone: the next task is hashed', async () => {
    await expect(runHashTask(pool, await heapHungryPng())).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_WORKER_CRASHED',
      retriable: true,
      cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    const next = await runHashTask(pool, fixture('pdq/pytx/rgb.jpeg'));
    expect(next.ok && next.hashes.pdq).toBe(PHOTO_PDQ);
  });
});

describe('hash worker pool: a task the pool drops', () => {
  it('is MOD_ERR_HASH_WORKER_FAILED when the pool is destroyed with it in a worker or in the queue, not a crash', async () => {
    const pool = createHashPool({ maxThreads: 1, maxQueue: 4 });
    const bytes = fixture('pdq/dih/bridge-1-original.jpg');
    const runs = [runHashTask(pool, bytes.slice()), runHashTask(pool, bytes.slice())];
    const settled = Promise.allSettled(runs);
    await pool.destroy();
    for (const s of await settled)
      expect(s).toMatchObject({ status: 'rejected', reason: { code: 'MOD_ERR_HASH_WORKER_FAILED' } });
  });
});
