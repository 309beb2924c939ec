import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMarkedAsUntransferable, type ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { HashingError, HashingErrorCode } from './errors.js';
import { guardPoolErrors, poolAnswered, poolStartFailure } from './pool-errors.js';
import type { HashMediaOptions, MediaHashes } from './hash-media.js';
import type { HashTaskInput, HashTaskOutput } from './task-types.js';

/** Absolute path of the compiled hash task, for `new Piscina({ filename: hashTaskFilename })`. */
export const hashTaskFilename: string = fileURLToPath(new URL('./hash-task.js', import.meta.url));

export interface HashPoolOptions {
  /** Worker threads; default: the number of cores (`os.availableParallelism()`). */
  maxThreads?: number;
  /** Tasks waiting for a worker before `run` rejects; default 4 per thread. Pause the consumer when full. */
  maxQueue?: number;
  /**
   * Each worker's V8 limits (e.g. `maxOldGenerationSizeMb`); default: Node's. A task that takes its worker's heap
   * past them ends that worker alone (`MOD_ERR_HASH_WORKER_CRASHED`; the pool starts another), not the process.
   * Decoded pixels are outside the V8 heap: `limits.maxDecodedBytes` bounds them.
   */
  resourceLimits?: ResourceLimits;
  /** The task module; `hashTaskFilename` when absent (tests give one wrapping it). */
  filename?: string;
  /**
   * Told each 'error' event of the pool (a worker that could not start: `guardPoolErrors`, which fails the pool's
   * work with `MOD_ERR_HASH_WORKER_START_FAILED` and keeps the process up); log it, count it. Absent: not told.
   */
  onError?: (err: Error) => void;
}

/** A Piscina pool running the hash task, sized to the machine, with a bounded queue. */
export function createHashPool(options: HashPoolOptions = {}): Piscina<HashTaskInput, HashTaskOutput> {
  const maxThreads = options.maxThreads ?? Math.max(1, availableParallelism());
  const maxQueue = options.maxQueue ?? maxThreads * 4;
  const pool = new Piscina<HashTaskInput, HashTaskOutput>({
    filename: options.filename ?? hashTaskFilename,
    maxThreads,
    // Every thread stays up: a worker that exits when idle is started again (sharp and the task reloaded) on the
    // next burst, which cost the scanner about 1 CPU-ms per event under a bursty load (bench:e2e profile).
    minThreads: maxThreads,
    idleTimeout: Number.POSITIVE_INFINITY,
    maxQueue,
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
  });
  guardPoolErrors(pool, options.onError ?? (() => undefined));
  return pool;
}

/**
 * True when the pool's waiting queue is full, so the next `run` would be rejected: the caller should pause its
 * source (e.g. the Kafka consumer) and resume once a task settles and this turns false again.
 */
export function isHashPoolSaturated(pool: Piscina<HashTaskInput, HashTaskOutput>): boolean {
  const maxQueue = pool.options.maxQueue;
  return typeof maxQueue === 'number' && pool.queueSize >= maxQueue;
}

/**
 * Hands `bytes` to the pool without copying when it owns its whole ArrayBuffer (it is then detached: do not
 * use it afterwards); a view into a larger or shared buffer (e.g. a Node Buffer slice) is copied first so
 * that nothing else is detached. Runs the hash task and returns its output as data (`ok: false` for bad input);
 * rejects with a retriable `HashingError`: `MOD_ERR_HASH_WORKER_FAILED` when the pool refused or dropped the task
 * (queue full, pool closed), `MOD_ERR_HASH_WORKER_START_FAILED` when it dropped it because a worker could not start
 * (`guardPoolErrors`), `MOD_ERR_HASH_WORKER_CRASHED` when the worker running it ended without answering.
 */
export async function runHashTask(
  pool: Piscina<HashTaskInput, HashTaskOutput>,
  bytes: Uint8Array,
  options?: HashMediaOptions,
): Promise<HashTaskOutput> {
  // Node marks some buffers it shares (its pools, read files) as untransferable: those are copied too.
  const ownsBuffer =
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    !isMarkedAsUntransferable(bytes.buffer);
  let buffer: ArrayBuffer;
  if (ownsBuffer) {
    buffer = bytes.buffer;
  } else {
    // Not `bytes.slice()`: on a Node Buffer that is a view, and moving its pooled slab would detach others.
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    buffer = copy.buffer;
  }
  const input: HashTaskInput = options === undefined ? { bytes: buffer } : { bytes: buffer, options };
  try {
    const out = await pool.run(input, { transferList: [buffer] });
    poolAnswered(pool);
    return out;
  } catch (err) {
    const startFailure = isPoolRefusal(err) ? poolStartFailure(pool) : undefined;
    if (startFailure !== undefined)
      throw new HashingError(
        HashingErrorCode.WORKER_START_FAILED,
        `hash pool failed the task: a worker could not start: ${String(startFailure)}`,
        { cause: startFailure },
      );
    if (isPoolRefusal(err))
      throw new HashingError(HashingErrorCode.WORKER_FAILED, `hash pool failed: ${String(err)}`, {
        cause: err,
      });
    throw new HashingError(HashingErrorCode.WORKER_CRASHED, `hash worker crashed: ${String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Piscina's own refusals of a task (the pool's state, never the task's), for any Piscina pool (the classifier's too): a full queue, a pool destroyed or closed
 * with the task in it. Piscina gives them no code, only these fixed messages (`piscina/dist/errors.js`; `pool.test.ts`
 * pins the queue's, `pool-crash.test.ts` the destroy's). Any other rejection is the worker that ran the task ending without answering:
 * its exit ('worker exited with code: N'), an error it did not catch, `ERR_WORKER_OUT_OF_MEMORY`.
 */
export function isPoolRefusal(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'AbortError' || PISCINA_REFUSALS.has(err.message);
}

const PISCINA_REFUSALS: ReadonlySet<string> = new Set([
  'Task queue is at limit',
  'No task queue available and all Workers are busy',
  'Terminating worker thread',
  'filename must be provided to run() or in options object',
]);

/** Like `runHashTask` but returns the hashes or throws the task's `HashingError`. */
export async function hashInPool(
  pool: Piscina<HashTaskInput, HashTaskOutput>,
  bytes: Uint8Array,
  options?: HashMediaOptions,
): Promise<MediaHashes> {
  const out = await runHashTask(pool, bytes, options);
  if (out.ok) return out.hashes;
  throw new HashingError(out.error.code as HashingErrorCode, out.error.message, {
    retriable: out.error.retriable,
  });
}

export { guardPoolErrors, poolAnswered, poolStartFailure } from './pool-errors.js';
export type { HashTaskInput, HashTaskOutput } from './task-types.js';
