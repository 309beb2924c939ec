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
import type { Counter, Histogram, Logger } from '@mod/telemetry';
import { cachedResultStands, classificationOf, storedFramesOf, unexaminedFrames } from './frame-risk.js';

/** Why the classifier could not classify an input (the bytes themselves, or the models). */
export interface ClassifyFailure {
  code: string;
  message: string;
  retriable: boolean;
}

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
  logger: Logger;
  outcomes: Counter<'outcome'>;
  batches: Histogram;
  /** Frames of multi-frame files left unscored, by why (`FramesUnexamined`); absent: not counted. */
  unexaminedFrames?: Counter<'reason'>;
}

interface Pending {
  bytes: Uint8Array;
  resolve: (result: ClassifierResult | { ok: false; error: ClassifyFailure }) => void;
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
    filename: classifyTaskFilename,
    workerData,
    maxThreads: options.threads,
    minThreads: options.threads,
  });
  const waiting: Pending[] = [];
  let running = 0;

  function pump(): void {
    while (running < options.threads && waiting.length > 0) {
      const batch = waiting.splice(0, options.batchSize);
      running++;
      options.batches.observe(batch.length);
      const buffers = batch.map((p) => p.bytes.buffer as ArrayBuffer);
      pool
        .run({ images: buffers }, { transferList: buffers })
        .then(
          (out) => {
            batch.forEach((p, i) => {
              if (!out.ok) p.resolve({ ok: false, error: out.error });
              else
                p.resolve(
                  out.results[i] ?? {
                    ok: false,
                    error: { code: 'MOD_ERR_CLASSIFIER_INTERNAL', message: 'no result', retriable: false },
                  },
                );
            });
          },
          (err: unknown) => {
            const error = {
              code: 'MOD_ERR_CLASSIFIER_INTERNAL',
              message: err instanceof Error ? err.message : String(err),
              retriable: true,
            };
            for (const p of batch) p.resolve({ ok: false, error });
          },
        )
        .finally(() => {
          running--;
          pump();
        });
    }
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
      const own = Uint8Array.prototype.slice.call(bytes);
      const result = await new Promise<ClassifierResult | { ok: false; error: ClassifyFailure }>(
        (resolve) => {
          waiting.push({ bytes: own, resolve });
          pump();
        },
      );
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
