import type { MediaEvent } from '@mod/contracts';
import type { HashMediaOptions, HashTaskOutput, MediaHashes, ReducedDecode } from '@mod/hashing';
import type { ClaimedSubmission, ScanStore } from '../scan-store.js';
import { failSubmission } from './claim-submission.js';
import type { Stage } from './stage.js';

export interface HashStageOptions {
  /** Hashes media in the worker pool; the buffer is moved, not copied. */
  hash: (bytes: Uint8Array, options: HashMediaOptions) => Promise<HashTaskOutput>;
  /** Compute the 8 rotation/flip PDQ hashes and the border-trimmed PDQ, and match them too. */
  dihedral: boolean;
  /** Reduced-scale decoding of large JPEGs (`@mod/hashing` default when absent); `false` decodes every pixel. */
  reducedDecode?: ReducedDecode | false;
  /**
   * Most memory one decode may hold, estimated from the image's header before decoding (`@mod/hashing` default when
   * absent); media above it fails its submission with MOD_ERR_HASH_TOO_MANY_DECODED_BYTES.
   */
  maxDecodedBytes?: number;
}

/**
 * Decodes and hashes the media in the worker pool, which takes ownership of the bytes: they live only for this
 * step. A decoder that timed out or a full pool is retried; media that cannot be decoded, or whose decode would
 * take more memory than `maxDecodedBytes`, fails the submission (and the message is dead-lettered).
 * The bytes must be the content the submission recorded at intake (its SHA-256), or the event is refused.
 */
export async function hashMedia(
  event: MediaEvent,
  claimed: ClaimedSubmission,
  bytes: Buffer,
  store: Pick<ScanStore, 'markFailed'>,
  o: HashStageOptions,
): Promise<Stage<MediaHashes>> {
  const result = await o.hash(bytes, {
    ...(o.dihedral ? { dihedral: true, trim: true } : {}),
    ...(o.reducedDecode === undefined ? {} : { reducedDecode: o.reducedDecode }),
    ...(o.maxDecodedBytes === undefined ? {} : { limits: { maxDecodedBytes: o.maxDecodedBytes } }),
  });
  if (!result.ok) {
    if (result.error.retriable)
      return { done: { kind: 'retry', error: new Error(`${result.error.code}: ${result.error.message}`) } };
    return { done: await failSubmission(store, event, result.error.code, result.error.message) };
  }
  if (claimed.sha256 !== null && claimed.sha256 !== result.hashes.sha256)
    return {
      done: await failSubmission(
        store,
        event,
        'MOD_ERR_SCAN_DIGEST_MISMATCH',
        'the media is not the content the submission recorded',
      ),
    };
  return { next: result.hashes };
}
