import type { MediaEvent } from '@mod/contracts';
import {
  HashingErrorCode,
  MAX_WORKER_CRASHES,
  sha256Key,
  type ContentStrikes,
  type HashMediaOptions,
  type HashTaskOutput,
  type MediaHashes,
  type ReducedDecode,
} from '@mod/hashing';
import type { ClaimedSubmission, ScanStore } from '../scan-store.js';
import { DIGEST_MISMATCH, failSubmission } from './claim-submission.js';
import { contentKey, MAX_DECODE_TIMEOUTS } from './content-strikes.js';
import { markedDigest, type DecodeGate, type HashDecodeMarks } from './decode-marks.js';
import type { Stage } from './stage.js';
import { afterWorkerCrash, isWorkerCrash, type HashInPool } from './worker-crash.js';

export interface HashStageOptions {
  /** Hashes media in the worker pool; the buffer is moved, not copied. */
  hash: HashInPool;
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
  /**
   * Durable marks of decodes under way (`createDecodeMarks`, stage `hash`): media whose decode ended the process
   * (a worker's heap past its limits may abort it all: nodejs/node#47224) is counted as crashed by the next
   * process. Absent: crashes are counted in memory only.
   */
  decodeMarks?: HashDecodeMarks;
}

/**
 * Decodes and hashes the media in the worker pool, which takes ownership of the bytes: they live only for this
 * step. A full or closed pool is retried (the machine's state, not the content's); a decode that timed out is
 * retried until the same content has timed out `MAX_DECODE_TIMEOUTS` times, and one that crashed its worker until
 * the same content has crashed a pool that hashes other media `MAX_WORKER_CRASHES` times (`afterWorkerCrash`):
 * media that always takes longer (a crafted progressive JPEG of thousands of scans, say), or always ends its worker,
 * would otherwise hold its partition for ever. Media that cannot be decoded in time, or at all, or whose decode would
 * take more memory than `maxDecodedBytes`, fails the submission (and the message is dead-lettered, for an operator
 * to replay).
 * The bytes must be the content the submission recorded at intake (its SHA-256), or the event is refused; a
 * submission without one (a platform's own) records the first media hashed under it as its content (`bindDigest`).
 * With `decodeMarks`, a decode leaves a durable mark while under way: a process that ended while decoding the
 * content counts as one of its crashes, so media that aborts the whole process is failed at the same bound and not
 * decoded again; media that ended a process decodes alone (`gate`), so that a second end names it only.
 */
export async function hashMedia(
  event: MediaEvent,
  claimed: ClaimedSubmission,
  bytes: Buffer,
  store: Pick<ScanStore, 'markFailed' | 'bindDigest'>,
  o: HashStageOptions,
  strikes: ContentStrikes,
  gate: DecodeGate,
): Promise<Stage<MediaHashes>> {
  const marks = o.decodeMarks;
  const markedAs = marks === undefined ? null : await markedDigest(event, claimed, bytes);
  const digest = markedAs?.sha256 ?? null;
  // Ends of a process while it decoded this content; marked now when none (else once its turn to decode alone came).
  const ended = digest === null ? 0 : await marks!.begin(digest);
  if (ended >= MAX_WORKER_CRASHES) {
    const { code, message } = processEndedTooOften(ended);
    return { done: await failSubmission(store, event, code, message) };
  }
  let marked = digest !== null && ended === 0;
  let result: HashTaskOutput;
  try {
    result = await gate.run(ended > 0, async () => {
      if (!marked && digest !== null) {
        await marks!.beginAlone(digest);
        marked = true;
      }
      // The bytes' own digest, computed above for the mark, is not computed a second time in the pool.
      return o.hash(bytes, {
        ...hashOptions(o),
        ...(markedAs?.ofTheseBytes === true ? { sha256: markedAs.sha256 } : {}),
      });
    });
  } catch (err) {
    if (marked) marks!.end(digest!, false);
    if (!isWorkerCrash(err)) throw err;
    return { done: await afterWorkerCrash(event, claimed, bytes, store, o.hash, strikes, err, ended) };
  }
  if (marked) marks!.end(digest!, result.ok);
  if (!result.ok) {
    const { code, message, retriable } = result.error;
    const timedOut = code === HashingErrorCode.TIMEOUT;
    const timeouts = () => strikes.count('timeout', contentKey(event, claimed, bytes));
    if (retriable && !(timedOut && timeouts() >= MAX_DECODE_TIMEOUTS))
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
  strikes.forget(sha256Key(result.hashes.sha256));
  const content =
    claimed.sha256 ??
    (await store.bindDigest({ id: event.submissionId, tenantId: event.tenantId }, result.hashes.sha256));
  if (content !== result.hashes.sha256) {
    // On the internal topic the event carries the submission's content (intake's, the fetcher's): it fails. A
    // platform's event naming one of its submissions with other media is not that content, whose own scan may
    // still be under way: failing the submission would have the classifier skip that media, and keep the code.
    if (event.source === 'kafka') return { done: { kind: 'dlq', ...DIGEST_MISMATCH } };
    return { done: await failSubmission(store, event, DIGEST_MISMATCH.code, DIGEST_MISMATCH.message) };
  }
  return { next: result.hashes };
}

/**
 * Media whose decode the process did not survive `ended` times (`MAX_WORKER_CRASHES` or more): failed as media that
 * crashes its worker is, with its code, and not decoded again.
 */
function processEndedTooOften(ended: number): { code: string; message: string } {
  return {
    code: HashingErrorCode.WORKER_CRASHED,
    message:
      `the scanner process ended ${ended} times while decoding this content (its decode aborted the process, ` +
      `or it was under way when the process was killed); it is not decoded again`,
  };
}

/** What the pool is asked to do with the media, from the stage's options (`@mod/hashing`'s defaults when absent). */
function hashOptions(o: HashStageOptions): HashMediaOptions {
  return {
    ...(o.dihedral ? { dihedral: true, trim: true } : {}),
    ...(o.reducedDecode === undefined ? {} : { reducedDecode: o.reducedDecode }),
    limits: {
      ...(o.maxDecodedBytes === undefined ? {} : { maxDecodedBytes: o.maxDecodedBytes }),
      ...(o.decodeTimeoutMs === undefined ? {} : { timeoutMs: o.decodeTimeoutMs }),
    },
    ...(o.maxHashedFrames === undefined ? {} : { maxHashedFrames: o.maxHashedFrames }),
  };
}
