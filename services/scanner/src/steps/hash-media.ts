import type { MediaEvent } from '@mod/contracts';
import {
  HashingErrorCode,
  type HashMediaOptions,
  type HashTaskOutput,
  type MediaHashes,
  type ReducedDecode,
} from '@mod/hashing';
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
  /**
   * Distinct frames of a multi-frame file hashed at most (`@mod/hashing` default when absent); past them the verdict
   * says how many frames were examined, and policy has a person look when nothing matched.
   */
  maxHashedFrames?: number;
}

/** Times one media's decode may time out before its submission fails (the first ones may be a busy machine). */
export const MAX_DECODE_TIMEOUTS = 3;

/** Submissions whose decode timed out, and how often (at most `limit` remembered, the oldest forgotten first). */
export function createDecodeTimeouts(limit = 10_000) {
  const counts = new Map<string, number>();
  return {
    /** Counts one more timeout of `submissionId`'s decode; answers how many so far. */
    count(submissionId: string): number {
      const n = (counts.get(submissionId) ?? 0) + 1;
      counts.delete(submissionId);
      if (counts.size >= limit) counts.delete(counts.keys().next().value!);
      counts.set(submissionId, n);
      return n;
    },
    forget: (submissionId: string) => counts.delete(submissionId),
  };
}
export type DecodeTimeouts = ReturnType<typeof createDecodeTimeouts>;

/**
 * Decodes and hashes the media in the worker pool, which takes ownership of the bytes: they live only for this
 * step. A full pool is retried, and a decoder that timed out too, up to `MAX_DECODE_TIMEOUTS` times: media that
 * always takes longer (a crafted progressive JPEG of thousands of scans, say) would otherwise hold its partition
 * for ever. Media that cannot be decoded in time, or at all, or whose decode would take more memory than
 * `maxDecodedBytes`, fails the submission (and the message is dead-lettered, for an operator to replay).
 * The bytes must be the content the submission recorded at intake (its SHA-256), or the event is refused; a
 * submission without one (a platform's own) records the first media hashed under it as its content (`bindDigest`).
 */
export async function hashMedia(
  event: MediaEvent,
  claimed: ClaimedSubmission,
  bytes: Buffer,
  store: Pick<ScanStore, 'markFailed' | 'bindDigest'>,
  o: HashStageOptions,
  timeouts: DecodeTimeouts,
): Promise<Stage<MediaHashes>> {
  const result = await o.hash(bytes, {
    ...(o.dihedral ? { dihedral: true, trim: true } : {}),
    ...(o.reducedDecode === undefined ? {} : { reducedDecode: o.reducedDecode }),
    ...(o.maxDecodedBytes === undefined ? {} : { limits: { maxDecodedBytes: o.maxDecodedBytes } }),
    ...(o.maxHashedFrames === undefined ? {} : { maxHashedFrames: o.maxHashedFrames }),
  });
  if (!result.ok) {
    const { code, message, retriable } = result.error;
    const timedOut = code === HashingErrorCode.TIMEOUT;
    if (retriable && !(timedOut && timeouts.count(event.submissionId) >= MAX_DECODE_TIMEOUTS))
      return { done: { kind: 'retry', error: new Error(`${code}: ${message}`) } };
    if (timedOut) timeouts.forget(event.submissionId);
    return {
      done: await failSubmission(
        store,
        event,
        code,
        timedOut ? `${message} (${MAX_DECODE_TIMEOUTS} times)` : message,
      ),
    };
  }
  timeouts.forget(event.submissionId);
  const content =
    claimed.sha256 ??
    (await store.bindDigest({ id: event.submissionId, tenantId: event.tenantId }, result.hashes.sha256));
  if (content !== result.hashes.sha256) {
    const code = 'MOD_ERR_SCAN_DIGEST_MISMATCH';
    const message = 'the media is not the content the submission recorded';
    // On the internal topic the event carries the submission's content (intake's, the fetcher's): it fails. A
    // platform's event naming one of its submissions with other media is not that content, whose own scan may
    // still be under way: failing the submission would have the classifier skip that media, and keep the code.
    if (event.source === 'kafka') return { done: { kind: 'dlq', code, message } };
    return { done: await failSubmission(store, event, code, message) };
  }
  return { next: result.hashes };
}
