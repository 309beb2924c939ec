import { defaultMaxHashedFrames, type PerceptualHashes } from '@mod/hashing';
import { createHashPool, hashInPool } from '@mod/hashing/pool';
import type { Logger } from '@mod/telemetry';
import type { PerceptualCheck } from './verifier.js';

/**
 * Largest memory one re-fetched image may take to decode (`DecodeLimits.maxDecodedBytes`, estimated from its header
 * before any pixel is): 128 MiB, a 40 MP 8-bit RGB photo (a 12 MP phone photo is 36 MB), which with the worker's heap
 * fits the actioner's 512 MiB limit (deploy/helm values); the scanner's 512 MiB would not. A larger image is not
 * compared (MOD_ERR_HASH_TOO_MANY_DECODED_BYTES: the check is inconclusive, tried again later).
 */
export const VERIFICATION_MAX_DECODED_BYTES = 128 * 1024 * 1024;
/** V8 heap of the hashing worker, MiB: 4× what the largest decode the limits allow was measured to need (16). */
export const VERIFICATION_WORKER_HEAP_MB = 64;

/** The perceptual hashes of one frame, as `matchPicture` reads them. */
const perceptualOf = (h: PerceptualHashes): PerceptualHashes => ({
  pdq: h.pdq,
  pdqQuality: h.pdqQuality,
  blockhash: h.blockhash,
  ...(h.pdqDihedral === undefined ? {} : { pdqDihedral: h.pdqDihedral }),
  ...(h.pdqTrimmed === undefined ? {} : { pdqTrimmed: h.pdqTrimmed }),
});

/** The perceptual hashes of re-fetched images, and the worker that computes them, ended at the service's stop. */
export interface VerificationHasher {
  hash: PerceptualCheck['hash'];
  close(): Promise<void>;
}

/**
 * The scanner's hashing for verification: `@mod/hashing`'s worker pool, one thread (a pass verifies one order at a
 * time) started at the first image, within the scanner's decode limits but `VERIFICATION_MAX_DECODED_BYTES`, every
 * frame of an animation the scanner hashes (its frame selection: up to `defaultMaxHashedFrames` distinct frames, its
 * `HASH_MAX_FRAMES` default, of a GIF or WebP; an APNG's first shown frame, as the scanner), each with the 8 dihedral
 * and the border-trimmed PDQs the scanner matches with `HASH_DIHEDRAL` (a platform may serve the picture mirrored,
 * turned or letterboxed; about twice the PDQ time). Hostile media is refused before it is decoded or ends its worker
 * alone (`HashingError`), never the actioner; one past the limits' time is answered MOD_ERR_HASH_TIMEOUT. The pass
 * waits for it (at most the fetcher's body bytes, decoded within these limits). A worker that cannot start (the
 * pool's 'error' event) is logged to `logger` and fails the images waiting with MOD_ERR_HASH_WORKER_START_FAILED (the
 * check inconclusive, tried again later), never the actioner.
 */
export function createVerificationHasher(logger?: Pick<Logger, 'error'>): VerificationHasher {
  let pool: ReturnType<typeof createHashPool> | undefined;
  return {
    async hash(bytes) {
      pool ??= createHashPool({
        maxThreads: 1,
        maxQueue: 4,
        resourceLimits: { maxOldGenerationSizeMb: VERIFICATION_WORKER_HEAP_MB },
        onError: (err) =>
          logger?.error(
            { err, code: 'MOD_ERR_HASH_WORKER_START_FAILED' },
            'verification hash worker could not start; the images waiting for it are failed and checked again later',
          ),
      });
      const hashes = await hashInPool(pool, bytes, {
        limits: { maxDecodedBytes: VERIFICATION_MAX_DECODED_BYTES },
        maxHashedFrames: defaultMaxHashedFrames,
        dihedral: true,
        trim: true,
      });
      const later = (hashes.frames?.hashed ?? []).filter((f) => f.index > 0);
      return {
        ...perceptualOf(hashes),
        ...(later.length === 0 ? {} : { frames: later.map((f) => ({ ...perceptualOf(f), index: f.index })) }),
      };
    },
    async close() {
      const p = pool;
      pool = undefined;
      await p?.destroy();
    },
  };
}
