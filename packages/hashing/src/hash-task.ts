/**
 * Piscina task: hash one media file. Loaded by `createHashPool` (or any Piscina given `hashTaskFilename`).
 * Never throws for bad input: every failure becomes `{ ok: false, error }` with a stable code.
 */
import sharp from 'sharp';
import { HashingError, HashingErrorCode } from './errors.js';
import { hashMedia } from './hash-media.js';
import type { HashTaskInput, HashTaskOutput } from './task-types.js';

// One libvips thread per worker: the pool already runs one worker per core, more would oversubscribe.
// The operation cache only helps when the same file is decoded twice, which a scanner never does.
sharp.concurrency(1);
sharp.cache(false);

export default async function hashTask(input: HashTaskInput): Promise<HashTaskOutput> {
  try {
    if (!(input?.bytes instanceof ArrayBuffer)) {
      throw new HashingError(
        HashingErrorCode.INVALID_OPTIONS,
        'task input must carry an ArrayBuffer in `bytes`',
      );
    }
    const hashes = await hashMedia(new Uint8Array(input.bytes), input.options);
    return { ok: true, hashes };
  } catch (err) {
    const error =
      err instanceof HashingError
        ? err
        : new HashingError(HashingErrorCode.DECODE_FAILED, `unexpected failure: ${String(err)}`, {
            cause: err,
          });
    return { ok: false, error: error.toJSON() };
  }
}
