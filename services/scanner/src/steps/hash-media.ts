import { createHash } from 'node:crypto';
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
  /** Wall-clock budget of one decode, in ms (`@mod/hashing` default, 10 s, when absent). */
  decodeTimeoutMs?: number;
}

/**
 * Times the same content's decode may time out before its submission fails. The decode budget is wall-clock time,
 * so one timeout may be a busy machine (threads sharing cores with other work, a pause of the process): the
 * content gets one more try. A second timeout of the same bytes, under any submission, is taken as the content's
 * own: every other decode failure (corrupt, truncated, past a pixel, memory, frame or scan limit) depends on the
 * bytes alone and fails the submission on its first attempt.
 */
export const MAX_DECODE_TIMEOUTS = 2;

/**
 * Content (SHA-256 of its bytes) whose decode timed out, and how often (at most `limit` remembered, the oldest
 * forgotten first). By content, not submission: hostile media sent again under a new submission id, or replayed,
 * is refused on its first timeout instead of costing the decode budget `MAX_DECODE_TIMEOUTS` times again.
 */
export function createDecodeTimeouts(limit = 10_000) {
  const counts = new Map<string, number>();
  return {
    /** Counts one more timeout of the content `digest`; answers how many so far. */
    count(digest: string): number {
      const n = (counts.get(digest) ?? 0) + 1;
      counts.delete(digest);
      if (counts.size >= limit) counts.delete(counts.keys().next().value!);
      counts.set(digest, n);
      return n;
    },
    forget: (digest: string) => counts.delete(digest),
  };
}
export type DecodeTimeouts = ReturnType<typeof createDecodeTimeouts>;

/**
 * Decodes and hashes the media in the worker pool, which takes ownership of the bytes: they live only for this
 * step. A full pool or a failed worker is retried (the machine's state, not the content's); a decode that timed
 * out is retried until the same content has timed out `MAX_DECODE_TIMEOUTS` times: media that always takes longer
 * (a crafted progressive JPEG of thousands of scans, say) would otherwise hold its partition for ever. Media that
 * cannot be decoded in time, or at all, or whose decode would take more memory than `maxDecodedBytes`, fails the
 * submission (and the message is dead-lettered, for an operator to replay).
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
    limits: {
      ...(o.maxDecodedBytes === undefined ? {} : { maxDecodedBytes: o.maxDecodedBytes }),
      ...(o.decodeTimeoutMs === undefined ? {} : { timeoutMs: o.decodeTimeoutMs }),
    },
    ...(o.maxHashedFrames === undefined ? {} : { maxHashedFrames: o.maxHashedFrames }),
  });
  if (!result.ok) {
    const { code, message, retriable } = result.error;
    const timedOut = code === HashingErrorCode.TIMEOUT;
    if (retriable && !(timedOut && timeouts.count(contentKey(event, claimed, bytes)) >= MAX_DECODE_TIMEOUTS))
      return { done: { kind: 'retry', error: new Error(`${code}: ${message}`) } };
    return {
      done: await failSubmission(
        store,
        event,
        code,
        timedOut ? `${message} (${MAX_DECODE_TIMEOUTS} times)` : message,
      ),
    };
  }
  timeouts.forget(`sha256:${result.hashes.sha256}`);
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

/**
 * What names the content for `DecodeTimeouts`: the SHA-256 of its bytes, computed only after a timeout (the pool
 * computes it too, but a timed-out task answers nothing). Bytes the pool took (moved, not copied: see `runHashTask`)
 * are named by the digest intake recorded, or else by their submission.
 */
function contentKey(event: MediaEvent, claimed: ClaimedSubmission, bytes: Buffer): string {
  if (bytes.byteLength > 0) return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return claimed.sha256 === null ? `submission:${event.submissionId}` : `sha256:${claimed.sha256}`;
}
