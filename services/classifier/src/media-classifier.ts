import { Piscina } from 'piscina';
import {
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
import { findClassification, saveClassification, type StoredClassification } from '@mod/db/submissions';
import { createContentStrikes, probeImage, sha256Key } from '@mod/hashing';
import type { Counter, Histogram, Logger } from '@mod/telemetry';
import { cachedResultStands, classificationOf, storedFramesOf, unexaminedFrames } from './frame-risk.js';
import { afterCrash, runClassifyTask, type ClassifyFailure, type TaskEnd } from './worker-crash.js';

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
  const waiting: Pending[] = [];
  let running = 0;
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
    while (running < options.threads && waiting.length > 0) {
      const batch = nextBatch();
      running++;
      options.batches.observe(batch.length);
      void runClassifyTask(
        pool,
        batch.map((p) => p.bytes.buffer as ArrayBuffer),
      ).then((end) => {
        settle(batch, end);
        running--;
        pump();
      });
    }
  }

  /** Queues a copy of `bytes` of its own (a worker takes ownership of the buffer it gets). */
  function enqueue(bytes: Uint8Array, alone: boolean): Promise<Settled> {
    const own = Uint8Array.prototype.slice.call(bytes);
    return new Promise<Settled>((resolve) => {
      waiting.push({ bytes: own, alone, resolve });
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
   * crash names none of them); a crash of its own task is counted against it (`afterCrash`).
   */
  async function classifyInPool(
    sha256: string,
    bytes: Uint8Array,
  ): Promise<ClassifierResult | { ok: false; error: ClassifyFailure }> {
    let result = await enqueue(bytes, false);
    if ('crash' in result && !result.alone) result = await enqueue(bytes, true);
    if ('crash' in result)
      return { ok: false, error: await afterCrash(sha256, result.crash, poolAnswers, strikes) };
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
