import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './fixtures.test-helper.js';
import { hashMedia } from './hash-media.js';
// The pool runs the compiled task file (dist/hash-task.js), so it is imported from the built package.
import {
  createHashPool,
  hashInPool,
  hashTaskFilename,
  isHashPoolSaturated,
  runHashTask,
} from '@mod/hashing/pool';

describe('hash worker pool', () => {
  const pool = createHashPool({ maxThreads: 2, maxQueue: 2 });
  afterAll(async () => {
    await pool.destroy();
  });

  it('points at the compiled task file', () => {
    expect(hashTaskFilename).toMatch(/[/\\]dist[/\\]hash-task\.js$/);
  });

  it('hashes a real image in a worker exactly as in-process hashing does', async () => {
    const bytes = fixture('pdq/dih/bridge-1-original.jpg');
    const inProcess = await hashMedia(bytes, { dihedral: true, trim: true });
    const inWorker = await hashInPool(pool, bytes.slice(), { dihedral: true, trim: true });
    expect(inWorker).toEqual(inProcess);
    expect(inWorker.pdq).toBe('f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22');
  });

  it('moves a buffer it owns (the caller’s view is detached) and copies a view into a larger buffer', async () => {
    const owned = fixture('pdq/pytx/rgb.jpeg').slice();
    expect(owned.byteLength).toBeGreaterThan(0);
    await hashInPool(pool, owned);
    expect(owned.byteLength).toBe(0);

    const file = fixture('pdq/pytx/rgb.jpeg');
    const shared = new Uint8Array(file.byteLength + 16);
    shared.set(file, 8);
    const view = shared.subarray(8, 8 + file.byteLength);
    const h = await hashInPool(pool, view);
    expect(h.pdq).toBe('fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda');
    expect(view.byteLength).toBe(file.byteLength);
  });

  it('turns bad input into a typed error from the worker', async () => {
    await expect(hashInPool(pool, new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_UNSUPPORTED_FORMAT',
      retriable: false,
    });
    const out = await runHashTask(pool, new Uint8Array(0));
    expect(out).toEqual({
      ok: false,
      error: { code: 'MOD_ERR_HASH_EMPTY', message: 'input is empty', retriable: false },
    });
  });

  it('bounds its queue: saturation is visible and overflow is a retriable error', async () => {
    const bytes = fixture('pdq/dih/bridge-1-original.jpg');
    const runs = Array.from({ length: 8 }, () => runHashTask(pool, bytes.slice()));
    const settledPromise = Promise.allSettled(runs);
    expect(isHashPoolSaturated(pool)).toBe(true);
    const settled = await settledPromise;
    expect(isHashPoolSaturated(pool)).toBe(false);
    const rejected = settled.filter((s) => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect(r.reason).toMatchObject({
        code: 'MOD_ERR_HASH_WORKER_FAILED',
        retriable: true,
      });
    }
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(2);
  });
});
