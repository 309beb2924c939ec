import { Piscina } from 'piscina';
import {
  ClassifierErrorCode,
  classifyTaskFilename,
  resolveRiskThresholds,
  safeFaceGate,
  type ClassifierOptions,
  type ClassifierResult,
  type ClassifyTaskInput,
  type ClassifyTaskOutput,
  type RiskThresholds,
} from '@mod/classifier';
import type { Classification } from '@mod/contracts';
import { toDatabaseError, type Queryable } from '@mod/db';
import {
  findClassification,
  saveClassification,
  type DecodeMarks,
  type StoredClassification,
} from '@mod/db/submissions';
import { createContentStrikes, MAX_WORKER_CRASHES, probeImage, sha256Key } from '@mod/hashing';
import { guardPoolErrors } from '@mod/hashing/pool';
import type { Counter, Histogram, Logger } from '@mod/telemetry';
import { cachedResultStands, classificationOf, storedFramesOf, unexaminedFrames } from './frame-risk.js';
import {
  afterCrash,
  processEndedTooOften,
  runClassifyTask,
  type ClassifyFailure,
  type TaskEnd,
} from './worker-crash.js';

export type { ClassifyFailure } from './worker-crash.js';

export type ClassifyOutcome =
  | { ok: true; classification: Classification }
  | { ok: false; error: ClassifyFailure };

export interface MediaClassifier {
  /**
   * The classification of content that matched no list: from the cache when this SHA-256 was classified
   * before, else from the model (then cached). A worker gets its own copy of the bytes.
   */
  classify(sha256: string, bytes: Uint8Array): Promise<ClassifyOutcome>;
  /** Images waiting for a classifier thread (not counting the ones being classified). */
  queueSize(): number;
  close(): Promise<void>;
}

export interface MediaClassifierOptions {
  db: Queryable;
  modelsDir: string;
  threads: number;
  /**
   * Most images one worker task takes: under load, images that wait for a thread go together, one inference call
   * for the batch. Idle, an image goes alone at once.
   */
  batchSize: number;
  thresholds: Partial<RiskThresholds>;
  /** Most memory one decode may hold, from the header (`@mod/hashing`'s check); the package default when absent. */
  maxDecodedBytes?: number;
  /** Longest one decode may take, in ms; the package default (the scanner's 10 s) when absent. */
  decodeTimeoutMs?: number;
  /** Distinct frames of a multi-frame file scored at most; the package default (the scanner's) when absent. */
  maxFrames?: number;
  /**
   * Durable marks of decodes under way (`createDecodeMarks`, stage `classify`): media whose decode ended the process
   * is counted as crashed by the next one, and classified alone in the pool. Absent: crashes counted in memory only.
   */
  decodeMarks?: Pick<DecodeMarks, 'begin' | 'beginAlone' | 'end'>;
  /**
   * Each worker's V8 heap, in MiB (`CLASSIFIER_WORKER_MAX_HEAP_MB`): media that takes a worker past it ends that
   * worker alone (the pool starts another), counted against the media (`afterCrash`). Node's default when absent.
   */
  workerMaxHeapMb?: number;
  /** The pool's task file; `classifyTaskFilename` when absent (tests give `heapHungryClassifyTaskFilename`). */
  taskFilename?: string;
  logger: Logger;
  outcomes: Counter<'outcome'>;
  batches: Histogram;
  /** Frames of multi-frame files left unscored, by why (`FramesUnexamined`); absent: not counted. */
  unexaminedFrames?: Counter<'reason'>;
}

type Settled =
  | ClassifierResult
  | { ok: false; error: ClassifyFailure }
  | { ok: false; crash: Error; alone: boolean };

interface Pending {
  bytes: Uint8Array;
  /** In a task of its own (after a crash of a task it shared, or a probe), so that a crash names it. */
  alone: boolean;
  /**
   * Alone in the pool too (a process ended while decoding it): no other task runs meanwhile, so that if it ends the
   * process again, the mark left is its own only. Run before its task starts (it marks the content then).
   */
  exclusive: (() => Promise<void>) | undefined;
  resolve: (result: Settled) => void;
}

/**
 * Runs the classifier in its own worker pool (models loaded once per worker), caching results by SHA-256. At most
 * `threads` tasks run at once; images that arrive meanwhile queue here and leave in batches of up to `batchSize`.
 */
export function createMediaClassifier(options: MediaClassifierOptions): MediaClassifier {
  const thresholds = resolveRiskThresholds(options.thresholds);
  const workerData: ClassifierOptions = {
    modelsDir: options.modelsDir,
    batchSize: options.batchSize,
    // Faces are looked for only where the sexual-content score could reach review: never changes a decision.
    faceMinSexualProbability: safeFaceGate(thresholds),
    ...(options.maxDecodedBytes === undefined ? {} : { maxDecodedBytes: options.maxDecodedBytes }),
    ...(options.decodeTimeoutMs === undefined ? {} : { decodeTimeoutMs: options.decodeTimeoutMs }),
    ...(options.maxFrames === undefined ? {} : { maxFrames: options.maxFrames }),
  };
  const pool = new Piscina<ClassifyTaskInput, ClassifyTaskOutput>({
    filename: options.taskFilename ?? classifyTaskFilename,
    workerData,
    maxThreads: options.threads,
    minThreads: options.threads,
    ...(options.workerMaxHeapMb === undefined
      ? {}
      : { resourceLimits: { maxOldGenerationSizeMb: options.workerMaxHeapMb } }),
  });
  // A worker that cannot start (its 'error' event, unanswered the process's end) fails the media waiting, retried.
  guardPoolErrors(pool, (err) =>
    options.logger.error(
      { err, code: ClassifierErrorCode.WORKER_START_FAILED },
      'classifier worker could not start; the media waiting for it is failed and retried',
    ),
  );
  const waiting: Pending[] = [];
  let running = 0;
  let exclusiveRunning = false;
  // Crashes counted by content, as the scanner counts its hash workers' (`@mod/hashing`).
  const strikes = createContentStrikes();

  /** The next task's images: one alone, or up to `batchSize` that may share a task. */
  function nextBatch(): Pending[] {
    if (waiting[0]!.alone) return waiting.splice(0, 1);
    const shared = waiting.findIndex((p) => p.alone);
    return waiting.splice(0, Math.min(options.batchSize, shared === -1 ? waiting.length : shared));
  }

  function settle(batch: Pending[], end: TaskEnd): void {
    batch.forEach((p, i) => {
      if (end.kind === 'crashed') p.resolve({ ok: false, crash: end.crash, alone: batch.length === 1 });
      else if (end.kind === 'refused') p.resolve({ ok: false, error: end.error });
      else if (!end.out.ok) p.resolve({ ok: false, error: end.out.error });
      else
        p.resolve(
          end.out.results[i] ?? {
            ok: false,
            error: { code: 'MOD_ERR_CLASSIFIER_INTERNAL', message: 'no result', retriable: false },
          },
        );
    });
  }

  function pump(): void {
    while (!exclusiveRunning && running < options.threads && waiting.length > 0) {
      if (waiting[0]!.exclusive && running > 0) return;
      const batch = nextBatch();
      const exclusive = batch[0]!.exclusive;
      exclusiveRunning = exclusive !== undefined;
      running++;
      options.batches.observe(batch.length);
      void (exclusive ?? (() => Promise.resolve()))()
        .then(
          () =>
            runClassifyTask(
              pool,
              batch.map((p) => p.bytes.buffer as ArrayBuffer),
            ),
          (err: unknown): TaskEnd => ({
            kind: 'refused',
            error: { code: ClassifierErrorCode.INTERNAL, message: String(err), retriable: true },
          }),
        )
        .then((end) => {
          settle(batch, end);
          running--;
          if (exclusive !== undefined) exclusiveRunning = false;
          pump();
        });
    }
  }

  /** Queues a copy of `bytes` of its own (a worker takes ownership of the buffer it gets). */
  function enqueue(bytes: Uint8Array, alone: boolean, exclusive?: () => Promise<void>): Promise<Settled> {
    const own = Uint8Array.prototype.slice.call(bytes);
    return new Promise<Settled>((resolve) => {
      waiting.push({ bytes: own, alone: alone || exclusive !== undefined, exclusive, resolve });
      pump();
    });
  }
  // Whether the pool still answers, asked after a crash: the probe image alone; a crash or a refusal says no.
  const poolAnswers = async (): Promise<boolean> => {
    const r = await enqueue(probeImage(), true);
    return !('crash' in r) && (r.ok || !r.error.retriable);
  };

  /**
   * The model's result for `bytes`. A crash of a task the media shared is tried again with the media alone (the
   * crash names none of them); a crash of its own task is counted against it (`afterCrash`), with the times a
   * process ended while decoding it (`decodeMarks`): at `MAX_WORKER_CRASHES` of those it is not decoded again.
   */
  async function classifyInPool(
    sha256: string,
    bytes: Uint8Array,
  ): Promise<ClassifierResult | { ok: false; error: ClassifyFailure }> {
    const marks = options.decodeMarks;
    const ended = marks === undefined ? 0 : await marks.begin(sha256);
    if (ended >= MAX_WORKER_CRASHES) return { ok: false, error: processEndedTooOften(ended) };
    // Marked now when no process ended on it; else as its task starts, alone in the pool (no mark while it waits).
    let marked = marks !== undefined && ended === 0;
    const markAlone = async () => {
      await marks!.beginAlone(sha256);
      marked = true;
    };
    let result = await enqueue(bytes, false, ended > 0 ? markAlone : undefined);
    if ('crash' in result && !result.alone) result = await enqueue(bytes, true);
    if (marked) marks!.end(sha256, !('crash' in result) && result.ok);
    if ('crash' in result)
      return { ok: false, error: await afterCrash(sha256, result.crash, poolAnswers, strikes, ended) };
    if (result.ok) strikes.forget(sha256Key(sha256));
    return result;
  }

  return {
    async classify(sha256, bytes) {
      let cached: StoredClassification | null;
      try {
        cached = await findClassification(options.db, sha256);
      } catch (err) {
        throw toDatabaseError(err, 'find classification');
      }
      if (cached && cachedResultStands(cached, bytes)) {
        options.outcomes.inc({ outcome: 'cached' });
        return { ok: true, classification: classificationOf(cached, thresholds, true) };
      }
      // A worker takes ownership of the buffer it gets: a copy of its own (a consumed record's buffer may be a
      // view into a fetch, or not transferable at all). A copy of an image at the model's pace costs nothing.
      const result = await classifyInPool(sha256, bytes);
      if (!result.ok) {
        options.outcomes.inc({ outcome: 'failed' });
        return { ok: false, error: result.error };
      }
      const frames = storedFramesOf(result);
      const stored: Omit<StoredClassification, 'classifiedAt'> = {
        sha256,
        scores: result.nsfw,
        apparentMinor: { ...result.apparentMinor },
        models: result.models.map((m) => ({ id: m.id, version: m.version, sha256: m.sha256 })),
        backend: result.backend,
        frames,
      };
      try {
        await saveClassification(options.db, stored);
      } catch (err) {
        throw toDatabaseError(err, 'save classification');
      }
      options.outcomes.inc({ outcome: 'classified' });
      const unscored = unexaminedFrames(frames);
      if (unscored !== null) options.unexaminedFrames?.inc({ reason: unscored.reason }, unscored.frames);
      return {
        ok: true,
        classification: classificationOf({ ...stored, classifiedAt: '' }, thresholds, false),
      };
    },
    queueSize: () => waiting.length,
    close: () => pool.destroy(),
  };
}
