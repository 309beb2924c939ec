import { availableParallelism } from 'node:os';

/** libuv's own bounds on its pool (`UV_THREADPOOL_SIZE`): its default, and the most it starts. */
export const LIBUV_DEFAULT_POOL = 4;
export const LIBUV_MAX_POOL = 1024;

/**
 * Threads the process's libuv pool needs beside `workers` decoding threads: sharp runs each decode on that pool
 * (whichever worker thread asks), and the main thread's DNS lookups, file reads and crypto share it too.
 */
export const POOL_THREADS_BESIDE_WORKERS = 4;

/**
 * The libuv pool size for a service whose `threadsVar` (e.g. `HASH_THREADS`) worker threads decode images: libuv sizes
 * its pool once, at its first use, from `UV_THREADPOOL_SIZE` (default 4), so with more than a few worker threads their
 * decodes would queue for 4 threads whatever the cores. An operator's own `UV_THREADPOOL_SIZE` is kept.
 * The value is read raw here (the service's config parses and checks it later); what does not parse counts as the
 * config's default, the cores.
 */
export function threadpoolSizeFor(env: NodeJS.ProcessEnv, threadsVar: string): number | undefined {
  if (env['UV_THREADPOOL_SIZE'] !== undefined && env['UV_THREADPOOL_SIZE'] !== '') return undefined;
  const raw = Number(env[threadsVar]);
  const workers = Number.isInteger(raw) && raw >= 1 ? raw : Math.max(1, availableParallelism());
  const size = Math.min(LIBUV_MAX_POOL, workers + POOL_THREADS_BESIDE_WORKERS);
  return size > LIBUV_DEFAULT_POOL ? size : undefined;
}

/**
 * Sizes the libuv pool for `threadsVar` decoding threads (`threadpoolSizeFor`). Call it first in a service's entry
 * module, before importing anything that could use the pool: the rest of the service must be imported after it
 * (`await import(...)`), as static imports run before the module's body.
 */
export function sizeThreadpoolFor(threadsVar: string, env: NodeJS.ProcessEnv = process.env): void {
  const size = threadpoolSizeFor(env, threadsVar);
  if (size !== undefined) env['UV_THREADPOOL_SIZE'] = String(size);
}
