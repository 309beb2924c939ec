import { Piscina } from 'piscina';
import {
  classifyTaskFilename,
  resolveRiskThresholds,
  riskScore,
  safeFaceGate,
  type ClassifierOptions,
  type ClassifyTaskInput,
  type ClassifyTaskOutput,
  type RiskThresholds,
} from '@mod/classifier';
import type { Classification } from '@mod/contracts';
import {
  findClassification,
  saveClassification,
  toDatabaseError,
  type Queryable,
  type StoredClassification,
} from '@mod/db';
import type { Counter, Logger } from '@mod/telemetry';

export interface MediaClassifier {
  /**
   * The classification of content that matched no list: from the cache when this SHA-256 was classified
   * before, else from the model (then cached). Null when the classifier cannot classify this input; hash
   * matching never waits on a broken classifier.
   */
  classify(sha256: string, bytes: Uint8Array): Promise<Classification | null>;
  /** Media waiting for a classifier thread (not counting the ones being classified). */
  queueSize(): number;
  close(): Promise<void>;
}

export interface MediaClassifierOptions {
  db: Queryable;
  modelsDir: string;
  threads: number;
  thresholds: Partial<RiskThresholds>;
  logger: Logger;
  outcomes: Counter<'outcome'>;
}

/** Runs the classifier in its own worker pool (models loaded once per worker), caching results by SHA-256. */
export function createMediaClassifier(options: MediaClassifierOptions): MediaClassifier {
  const thresholds = resolveRiskThresholds(options.thresholds);
  const workerData: ClassifierOptions = {
    modelsDir: options.modelsDir,
    // Faces are looked for only where the sexual-content score could reach review: never changes a decision.
    faceMinSexualProbability: safeFaceGate(thresholds),
  };
  const pool = new Piscina<ClassifyTaskInput, ClassifyTaskOutput>({
    filename: classifyTaskFilename,
    workerData,
    maxThreads: options.threads,
    minThreads: Math.min(1, options.threads),
  });

  const toClassification = (stored: StoredClassification, cached: boolean): Classification => {
    const risk = riskScore({ nsfw: stored.scores, apparentMinor: stored.apparentMinor }, thresholds);
    return {
      scores: stored.scores,
      apparentMinor: stored.apparentMinor,
      risk: { score: risk.score, reviewRequired: risk.reviewRequired, explanation: risk.explanation },
      models: stored.models,
      backend: stored.backend,
      cached,
    };
  };

  return {
    async classify(sha256, bytes) {
      let cached: StoredClassification | null;
      try {
        cached = await findClassification(options.db, sha256);
      } catch (err) {
        throw toDatabaseError(err, 'find classification');
      }
      if (cached) {
        options.outcomes.inc({ outcome: 'cached' });
        return toClassification(cached, true);
      }
      const copy = bytes.slice(); // the worker takes ownership of its own buffer
      const out = await pool.run({ images: [copy.buffer] }, { transferList: [copy.buffer] });
      const result = out.ok ? out.results[0] : undefined;
      if (!out.ok || !result?.ok) {
        const error = out.ok ? (result && !result.ok ? result.error : undefined) : out.error;
        options.outcomes.inc({ outcome: 'failed' });
        options.logger.warn({ sha256, error }, 'classifier could not classify; verdict goes out without it');
        return null;
      }
      const stored: Omit<StoredClassification, 'classifiedAt'> = {
        sha256,
        scores: result.nsfw,
        apparentMinor: { ...result.apparentMinor },
        models: result.models.map((m) => ({ id: m.id, version: m.version, sha256: m.sha256 })),
        backend: result.backend,
      };
      try {
        await saveClassification(options.db, stored);
      } catch (err) {
        throw toDatabaseError(err, 'save classification');
      }
      options.outcomes.inc({ outcome: 'classified' });
      return toClassification({ ...stored, classifiedAt: new Date().toISOString() }, false);
    },
    queueSize: () => pool.queueSize,
    close: () => pool.destroy(),
  };
}
