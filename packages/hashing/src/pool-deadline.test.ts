import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { withDeadline } from './decode-budget.js';
import { fixture } from './fixtures.test-helper.js';
import { flatLosslessWebp } from './synthetic-photos.test-helper.js';
// The pool runs the compiled task file (dist/hash-task.js), so it is imported from the built package.
import { createHashPool, runHashTask } from '@mod/hashing/pool';

describe('hash worker pool: a decode past its deadline', () => {
  const pool = createHashPool({ maxThreads: 1, maxQueue: 4 });
  afterAll(async () => {
    await pool.destroy();
  });

  it('is answered MOD_ERR_HASH_TIMEOUT once the decode has ended, never while it still runs beside the next task', async () => {
    // A lossless WebP of 36 MP: a few kilobytes whose loader decodes every pixel in one call, which libvips'
    // timeout cannot interrupt; within every decode limit, yet far slower than its deadline (long enough for the
    // header to be read and the decode to begin).
    const slow = await flatLosslessWebp(6000, 6000, '#336699');
    const out = await runHashTask(pool, slow, { limits: { timeoutMs: 300 } });
    expect(out).toMatchObject({ ok: false, error: { code: 'MOD_ERR_HASH_TIMEOUT', retriable: true } });
    // sharp's counters are the process's, its worker threads' included: no decode is left running (or finished
    // unseen) in the pool's thread, which the pool now hands the next task.
    expect(sharp.counters()).toEqual({ queue: 0, process: 0 });
    const next = await runHashTask(pool, fixture('pdq/pytx/rgb.jpeg'));
    expect(next.ok && next.hashes.pdq).toBe(
      'fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda',
    );
  });
});

describe('withDeadline', () => {
  const timedOut = () => new Error('late');

  it('answers a work past its deadline with the error once the work has ended', async () => {
    let ended = false;
    const work = new Promise<string>((resolve) =>
      setTimeout(() => {
        ended = true;
        resolve('done');
      }, 50),
    );
    await expect(withDeadline(work, 1, timedOut)).rejects.toThrow('late');
    expect(ended).toBe(true);
  });

  it('does not hold its caller for ever on a work that never ends', async () => {
    await expect(withDeadline(new Promise<never>(() => undefined), 1, timedOut, 20)).rejects.toThrow('late');
  });
});
