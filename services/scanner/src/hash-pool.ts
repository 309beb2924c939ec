import { PARTITIONS_AT_ONCE } from '@mod/bootstrap';
import type { ConfigOf } from '@mod/config';
import type { HashPoolOptions } from '@mod/hashing/pool';
import type { scannerSpec } from './config.js';

type HashPoolSettings = Pick<
  ConfigOf<typeof scannerSpec>,
  'HASH_THREADS' | 'HASH_MAX_IN_FLIGHT' | 'HASH_WORKER_MAX_HEAP_MB'
>;

/**
 * The scanner's hash pool: `HASH_THREADS` workers, each within a V8 heap of `HASH_WORKER_MAX_HEAP_MB` (media that
 * takes a worker past it ends that worker alone, not the process), and a queue that holds the consumer's whole
 * in-flight window (`HASH_MAX_IN_FLIGHT` per partition consumed at once), so that `run` never rejects for it.
 */
export function scannerHashPoolOptions(config: HashPoolSettings): HashPoolOptions {
  return {
    maxThreads: config.HASH_THREADS,
    maxQueue: config.HASH_MAX_IN_FLIGHT * PARTITIONS_AT_ONCE,
    resourceLimits: { maxOldGenerationSizeMb: config.HASH_WORKER_MAX_HEAP_MB },
  };
}
