import { Piscina } from 'piscina';
import { afterAll, describe, expect, it } from 'vitest';
import { PARTITIONS_AT_ONCE } from '@mod/bootstrap';
import { loadConfig } from '@mod/config';
import { createHashPool, runHashTask, type HashTaskInput, type HashTaskOutput } from '@mod/hashing/pool';
import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import { heapHungryPng, heapHungryTaskFilename } from '@mod/hashing/testing';
import { configProblems } from '@mod/testing';
import { scannerSpec } from './config.js';
import { scannerHashPoolOptions } from './hash-pool.js';

const pools: Piscina[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

// Config parsing only: no broker is reached, so the principal's name and password are placeholders.
const settings = (env: Record<string, string>) =>
  loadConfig(scannerSpec, {
    KAFKA_SASL_USERNAME: 'scanner',
    KAFKA_SASL_PASSWORD: 'unused',
    HASH_THREADS: '1',
    HASH_MAX_IN_FLIGHT: '2',
    ...env,
  });

describe('scanner hash pool: each worker within HASH_WORKER_MAX_HEAP_MB', () => {
  it('is 128 MiB by default, and the pool the service creates has it as its workers’ heap', async () => {
    const config = settings({});
    expect(config.HASH_WORKER_MAX_HEAP_MB).toBe(128);
    const pool = createHashPool(scannerHashPoolOptions(config));
    pools.push(pool);
    expect(pool.options).toMatchObject({
      maxThreads: 1,
      maxQueue: 2 * PARTITIONS_AT_ONCE,
      resourceLimits: { maxOldGenerationSizeMb: 128 },
    });
    const photo = await seededPhoto(3, { width: 320, height: 240, ringPeriod: 9, quality: 85 });
    expect(await runHashTask(pool, photo)).toMatchObject({ ok: true, hashes: { format: 'jpeg' } });
  });

  it('ends the worker alone whose media takes it past the setting; the next media is hashed', async () => {
    const config = settings({ HASH_WORKER_MAX_HEAP_MB: '16' });
    expect(scannerHashPoolOptions(config).resourceLimits).toEqual({ maxOldGenerationSizeMb: 16 });
    // The service's pool options, on a task that holds the heap for heapHungryPng: without the limit applied it
    // would take this whole test process's heap instead of ending its worker.
    const pool = new Piscina<HashTaskInput, HashTaskOutput>({
      filename: heapHungryTaskFilename,
      ...scannerHashPoolOptions(config),
    });
    pools.push(pool);
    await expect(runHashTask(pool, await heapHungryPng())).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_WORKER_CRASHED',
      cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    const photo = await seededPhoto(4, { width: 320, height: 240, ringPeriod: 9, quality: 85 });
    expect(await runHashTask(pool, photo)).toMatchObject({ ok: true });
  });

  it.each(['8', '4097', 'lots', '1.5', '-64'])(
    'refuses %s at start with MOD_ERR_CONFIG_INVALID naming it alone',
    (value) => {
      expect(configProblems(() => settings({ HASH_WORKER_MAX_HEAP_MB: value }))).toEqual([
        expect.stringMatching(/^HASH_WORKER_MAX_HEAP_MB /),
      ]);
    },
  );
});
