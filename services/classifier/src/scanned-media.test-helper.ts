import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { Classified } from '@mod/contracts';
import type { SubmissionScanState } from '@mod/db/submissions';
import { Counter, Histogram, createLogger, createRegistry } from '@mod/telemetry';
import { createTestSchema, uploadedMediaMessage, type TestDatabase } from '@mod/testing';
import { createClassifyStep } from './classify-step.js';
import {
  createMediaClassifier,
  type MediaClassifier,
  type MediaClassifierOptions,
} from './media-classifier.js';

export const MEDIA_TOPIC = 'p.mod.media-submitted.v2';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The classify step over a real `MediaClassifier`, every media scanned with no match by `scannedMedia` of the same
 * call; what it publishes is kept in `published`.
 */
export function scannedMediaStep(classifier: MediaClassifier) {
  const states = new Map<string, SubmissionScanState>();
  const published: Classified[] = [];
  const step = createClassifyStep({
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: 'p.',
    scanState: (id) => Promise.resolve(states.get(id) ?? null),
    tenants: { get: () => Promise.resolve({ kind: 'platform', disabled: false }) },
    classify: (digest, bytes) => classifier.classify(digest, bytes),
    publish: (c) => {
      published.push(c);
      return Promise.resolve();
    },
    verdictWaitMs: 60_000,
    maxMediaBytes: 12 * 1024 * 1024,
    skipped: new Counter({
      name: 'skipped',
      help: 'skipped',
      labelNames: ['reason'],
      registers: [createRegistry('test')],
    }),
  });
  /** A media message of a new submission of `bytes`, scanned with no match. */
  const scannedMedia = (bytes: Buffer) => {
    const submissionId = randomUUID();
    states.set(submissionId, {
      tenantId: 'platform-1',
      status: 'scanned',
      decision: 'no-match',
      sha256: sha256(bytes),
      classifiedAt: null,
    });
    return {
      submissionId,
      message: uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId, value: bytes }),
    };
  };
  return { step, published, scannedMedia };
}

const MODELS_DIR = fileURLToPath(new URL('../../../models', import.meta.url));

/**
 * Media classifiers of a test file, with the real models, one thread and a schema of the file's own (made before
 * its tests, dropped after them, every classifier closed first): `classifier(options)` makes one, `options` over
 * those defaults.
 */
export function useTestClassifiers(name: string) {
  let db: TestDatabase | undefined;
  const made: MediaClassifier[] = [];
  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => {
    await Promise.all(made.map((c) => c.close()));
    await db?.drop();
  });
  return (options: Partial<MediaClassifierOptions> = {}): MediaClassifier => {
    if (db === undefined) throw new Error('useTestClassifiers: a classifier is made inside a test');
    const registry = createRegistry(name);
    const c = createMediaClassifier({
      db: db.pool,
      modelsDir: MODELS_DIR,
      threads: 1,
      batchSize: 2,
      thresholds: {},
      logger: createLogger(name, 'silent'),
      outcomes: new Counter({ name: 'o', help: 'o', labelNames: ['outcome'], registers: [registry] }),
      batches: new Histogram({ name: 'b', help: 'b', registers: [registry] }),
      ...options,
    });
    made.push(c);
    return c;
  };
}
