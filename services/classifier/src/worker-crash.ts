import type { Piscina } from 'piscina';
import { ClassifierErrorCode, type ClassifyTaskInput, type ClassifyTaskOutput } from '@mod/classifier';
import { MAX_WORKER_CRASHES, sha256Key, type ContentStrikes } from '@mod/hashing';
import { isPoolRefusal, poolAnswered, poolStartFailure } from '@mod/hashing/pool';

/** Why the classifier could not classify an input (the bytes themselves, the models, or the pool). */
export interface ClassifyFailure {
  code: string;
  message: string;
  retriable: boolean;
}

/** How one task of the classifier's pool ended: answered, refused by the pool, or its worker ended without answering. */
export type TaskEnd =
  | { kind: 'answered'; out: ClassifyTaskOutput }
  | { kind: 'refused'; error: ClassifyFailure }
  | { kind: 'crashed'; crash: Error };

/**
 * Runs one task of the pool (its buffers moved) and tells, as the scanner's `runHashTask` does, piscina's own
 * refusals (queue full, pool closed: the pool's state, retried) from a worker that ended without answering (its
 * heap past `resourceLimits`, an exit, an error it did not catch: maybe the content's, see `afterCrash`). A refusal
 * after a worker could not start (`guardPoolErrors`) is `MOD_ERR_CLASSIFIER_WORKER_START_FAILED`, retried.
 */
export async function runClassifyTask(
  pool: Piscina<ClassifyTaskInput, ClassifyTaskOutput>,
  images: ArrayBuffer[],
): Promise<TaskEnd> {
  try {
    const out = await pool.run({ images }, { transferList: images });
    poolAnswered(pool);
    return { kind: 'answered', out };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const startFailure = isPoolRefusal(err) ? poolStartFailure(pool) : undefined;
    if (startFailure !== undefined) {
      const why = `a classifier worker could not start: ${startFailure.message}`;
      return {
        kind: 'refused',
        error: { code: ClassifierErrorCode.WORKER_START_FAILED, message: why, retriable: true },
      };
    }
    if (isPoolRefusal(err))
      return { kind: 'refused', error: { code: ClassifierErrorCode.INTERNAL, message, retriable: true } };
    return { kind: 'crashed', crash: err instanceof Error ? err : new Error(message) };
  }
}

/**
 * What follows a worker crash on content (`sha256`) classified alone in its task: retried when the pool then fails
 * its probe (`poolAnswers`: `probeImage` of `@mod/hashing` in a task alone; the pool, not the content, may be at fault; counted against nothing) or
 * at the content's first crash in a healthy pool; the `MAX_WORKER_CRASHES`th crash of the same content (the scanner's
 * bound and store, `createContentStrikes`) is not retriable, `MOD_ERR_CLASSIFIER_WORKER_CRASHED`: the media is
 * dead-lettered, where it was retried for ever and held its partition. `ended`: the times a process ended while
 * decoding the content (durable decode marks), counted with the crashes.
 */
export async function afterCrash(
  sha256: string,
  crash: Error,
  poolAnswers: () => Promise<boolean>,
  strikes: ContentStrikes,
  ended = 0,
): Promise<ClassifyFailure> {
  const code = ClassifierErrorCode.WORKER_CRASHED;
  if (!(await poolAnswers()))
    return {
      code,
      message: `classifier worker crashed: ${crash.message}; the pool failed its probe after it, so the crash is counted against no media`,
      retriable: true,
    };
  if (strikes.count('crash', sha256Key(sha256)) + ended < MAX_WORKER_CRASHES)
    return { code, message: `classifier worker crashed: ${crash.message}`, retriable: true };
  return {
    code,
    message: `classifier worker crashed: ${crash.message} (${MAX_WORKER_CRASHES} times, the pool classifying other media after each)`,
    retriable: false,
  };
}

/**
 * Content whose decode the process did not survive `ended` times (`MAX_WORKER_CRASHES` or more, counted by durable
 * decode marks): failed as content that crashes its worker is, and not decoded again.
 */
export function processEndedTooOften(ended: number): ClassifyFailure {
  return {
    code: ClassifierErrorCode.WORKER_CRASHED,
    message:
      `the classifier process ended ${ended} times while decoding this content (its decode aborted the ` +
      `process, or it was under way when the process was killed); it is not decoded again`,
    retriable: false,
  };
}
