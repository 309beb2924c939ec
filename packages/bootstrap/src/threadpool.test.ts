import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { POOL_THREADS_BESIDE_WORKERS, threadpoolSizeFor } from './threadpool.js';

const run = promisify(execFile);
const built = fileURLToPath(new URL('../dist/threadpool.js', import.meta.url));

/**
 * A child process that sizes its pool as the services' entry modules do, then uses the pool once (libuv starts all
 * of its threads then, and keeps them) and prints how many threads the process has.
 */
async function threadsOfChild(env: Record<string, string>): Promise<number> {
  const script = `
    const { sizeThreadpoolFor } = await import(${JSON.stringify(built)});
    sizeThreadpoolFor('HASH_THREADS');
    const { pbkdf2 } = await import('node:crypto');
    const { readdirSync } = await import('node:fs');
    await new Promise((done) => pbkdf2('a', 'b', 1, 32, 'sha256', done));
    console.log(readdirSync('/proc/self/task').length);`;
  const { PATH } = process.env;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...(PATH === undefined ? {} : { PATH }), ...env },
  });
  return Number(stdout.trim());
}

describe('threadpoolSizeFor', () => {
  it('gives the pool the decoding threads and the main thread its own, above libuv default only', () => {
    expect(threadpoolSizeFor({ HASH_THREADS: '16' }, 'HASH_THREADS')).toBe(16 + POOL_THREADS_BESIDE_WORKERS);
    expect(threadpoolSizeFor({ HASH_THREADS: '0' }, 'HASH_THREADS')).toBe(
      availableParallelism() + POOL_THREADS_BESIDE_WORKERS,
    );
    expect(threadpoolSizeFor({ HASH_THREADS: '5000' }, 'HASH_THREADS')).toBe(1024);
  });

  it("keeps an operator's own UV_THREADPOOL_SIZE", () => {
    expect(
      threadpoolSizeFor({ HASH_THREADS: '16', UV_THREADPOOL_SIZE: '6' }, 'HASH_THREADS'),
    ).toBeUndefined();
  });

  it('sizes the pool of a process when called before anything used it', async () => {
    const libuvDefault = await threadsOfChild({ UV_THREADPOOL_SIZE: '4' });
    const sized = await threadsOfChild({ HASH_THREADS: '12' });
    expect(sized - libuvDefault).toBe(12 + POOL_THREADS_BESIDE_WORKERS - 4);
  });
});
