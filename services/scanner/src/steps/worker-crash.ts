import type { MediaEvent } from '@mod/contracts';
import {
  HashingErrorCode,
  MAX_WORKER_CRASHES,
  probeImage,
  type ContentStrikes,
  type HashMediaOptions,
  type HashTaskOutput,
} from '@mod/hashing';
import type { StepOutcome } from '@mod/kafka';
import type { ClaimedSubmission, ScanStore } from '../scan-store.js';
import { failSubmission } from './claim-submission.js';
import { contentKey } from './content-strikes.js';

/**
 * Hashes media in the worker pool (`runHashTask`); the buffer is moved, not copied. Rejects with `@mod/hashing`'s
 * retriable `MOD_ERR_HASH_WORKER_FAILED` (the pool refused the task) or `MOD_ERR_HASH_WORKER_CRASHED`.
 */
export type HashInPool = (bytes: Uint8Array, options: HashMediaOptions) => Promise<HashTaskOutput>;

/** Whether `err` is the pool's word that the worker running the task ended without answering. */
export function isWorkerCrash(err: unknown): err is Error {
  return err instanceof Error && (err as { code?: unknown }).code === HashingErrorCode.WORKER_CRASHED;
}

/**
 * Whether the pool still hashes, asked just after one of its workers crashed: `probeImage` (93 bytes) is hashed in
 * it. Any failure of the probe (its worker crashed too, the pool is full or closed) says the pool, not the content,
 * may be at fault: every worker failing at once (a broken library, limits no picture fits in, the machine out of
 * memory) must not be counted against the media that happened to be in them.
 */
export async function poolStillHashes(hash: HashInPool): Promise<boolean> {
  try {
    return (await hash(probeImage(), {})).ok;
  } catch {
    return false;
  }
}

/**
 * What follows a worker crash on `bytes`: retried when the pool then fails its probe (counted against nothing) or
 * when it is the content's first crash in a healthy pool (the crash may still have been the machine's); the
 * `MAX_WORKER_CRASHES`th crash of the same content, under any submission, fails the submission with
 * `MOD_ERR_HASH_WORKER_CRASHED` and dead-letters it, as undecodable media: otherwise media that always crashes its
 * worker is retried for ever and holds its partition. `bytes` are named before the probe (see `contentKey`).
 * `ended`: the times a process ended while decoding the content (durable decode marks), counted with the crashes.
 */
export async function afterWorkerCrash(
  event: MediaEvent,
  claimed: ClaimedSubmission,
  bytes: Buffer,
  store: Pick<ScanStore, 'markFailed'>,
  hash: HashInPool,
  strikes: ContentStrikes,
  crash: Error,
  ended = 0,
): Promise<StepOutcome> {
  const content = contentKey(event, claimed, bytes);
  if (!(await poolStillHashes(hash))) {
    const why = `${crash.message}; the pool failed its probe after it, so the crash is counted against no media`;
    return { kind: 'retry', error: new Error(why, { cause: crash }) };
  }
  if (strikes.count('crash', content) + ended < MAX_WORKER_CRASHES) return { kind: 'retry', error: crash };
  const message = `${crash.message} (${MAX_WORKER_CRASHES} times, the pool hashing other media after each)`;
  return failSubmission(store, event, HashingErrorCode.WORKER_CRASHED, message);
}
