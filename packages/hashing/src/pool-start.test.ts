import { afterAll, describe, expect, it } from 'vitest';
import { probeImage } from './probe-image.js';
// The pool is the built package's, as the services use it.
import { createHashPool, runHashTask } from '@mod/hashing/pool';
// A task module that throws while it loads: no worker of the pool ever starts.
import { throwsAtLoadTaskFilename } from '@mod/hashing/testing';

describe('a hash pool whose workers cannot start', () => {
  const told: Error[] = [];
  let firstError: () => void = () => undefined;
  const errored = new Promise<void>((resolve) => (firstError = resolve));
  const pool = createHashPool({
    maxThreads: 1,
    maxQueue: 4,
    filename: throwsAtLoadTaskFilename,
    onError: (err) => {
      told.push(err);
      firstError();
    },
  });
  afterAll(async () => {
    await pool.destroy();
  });

  it('keeps the process up, says why, and fails each task with MOD_ERR_HASH_WORKER_START_FAILED, retriable', async () => {
    // Before: the pool's 'error' event had no listener and ended the process (vitest: an unhandled error).
    await errored;
    expect(told[0]?.message).toBe('this task module throws at load');
    const failure = {
      name: 'HashingError',
      code: 'MOD_ERR_HASH_WORKER_START_FAILED',
      retriable: true,
      cause: { message: 'this task module throws at load' },
    };
    // Neither waits for ever for a worker: the pool tries one again for each, and fails the task when it too fails.
    await expect(runHashTask(pool, probeImage())).rejects.toMatchObject(failure);
    await expect(runHashTask(pool, probeImage())).rejects.toMatchObject(failure);
  });
});
