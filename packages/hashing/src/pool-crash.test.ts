import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './fixtures.test-helper.js';
import { probeImage } from './probe-image.js';
import { pngOfEmptyChunks } from './synthetic-photos.js';
// The pool runs the compiled task file (dist/hash-task.js), so it is imported from the built package.
import { createHashPool, runHashTask } from '@mod/hashing/pool';

describe('hash worker pool: a worker that crashes', () => {
  // A heap of 16 MiB per worker: sharp, the task and an ordinary picture fit in it many times over.
  const pool = createHashPool({ maxThreads: 1, maxQueue: 4, resourceLimits: { maxOldGenerationSizeMb: 16 } });
  afterAll(async () => {
    await pool.destroy();
  });

  it('is MOD_ERR_HASH_WORKER_CRASHED (retriable) and ends that worker alone: the next task is hashed', async () => {
    const hostile = await pngOfEmptyChunks(400_000);
    await expect(runHashTask(pool, hostile)).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_WORKER_CRASHED',
      retriable: true,
      cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    const next = await runHashTask(pool, fixture('pdq/pytx/rgb.jpeg'));
    expect(next.ok && next.hashes.pdq).toBe(
      'fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda',
    );
    // The same picture with a hundredth of the chunks is within the heap: the heap, not the picture, was refused.
    const fewer = await runHashTask(pool, await pngOfEmptyChunks(4_000));
    expect(fewer).toMatchObject({ ok: true, hashes: { format: 'png', width: 8, height: 8 } });
  });

  it('answers the probe image', async () => {
    expect(await runHashTask(pool, probeImage())).toMatchObject({
      ok: true,
      hashes: { bytes: 93, format: 'png' },
    });
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
