/**
 * Piscina task file (`@mod/classifier/task`): classifies the moved image buffers of one task. Each worker
 * loads and verifies the models once, on its first task, from `workerData` (ClassifierOptions). It never
 * throws: every failure comes back as a typed `ok: false` value.
 */
import { workerData } from 'piscina';
import sharp from 'sharp';
import { createClassifier, type Classifier } from './classifier.js';
import type { ClassifyTaskInput, ClassifyTaskOutput, ClassifyWorkerData } from './classify-task-types.js';
import { ClassifierError, ClassifierErrorCode, toClassifierError } from './errors.js';

// One libvips thread per worker: the pool already runs one worker per core.
sharp.concurrency(1);

let classifier: Promise<Classifier> | undefined;

function load(): Promise<Classifier> {
  if (classifier === undefined) {
    const data = workerData as ClassifyWorkerData | undefined;
    const attempt =
      data === undefined || typeof data !== 'object'
        ? Promise.reject(
            new ClassifierError(
              ClassifierErrorCode.INVALID_ARGUMENT,
              'workerData must hold the classifier options',
            ),
          )
        : createClassifier(data);
    classifier = attempt;
    // A retriable failure (backend) may succeed on a later task; a refused model will not, so it stays cached.
    attempt.catch((err: unknown) => {
      if (toClassifierError(err).retriable && classifier === attempt) classifier = undefined;
    });
  }
  return classifier;
}

function errorOutput(err: unknown): ClassifyTaskOutput {
  const e = toClassifierError(err);
  return { ok: false, error: { code: e.code, message: e.message, retriable: e.retriable } };
}

export default async function classifyTask(input: ClassifyTaskInput): Promise<ClassifyTaskOutput> {
  try {
    const images = (input as { images?: unknown } | null | undefined)?.images;
    if (!Array.isArray(images) || !images.every((b) => b instanceof ArrayBuffer || b instanceof Uint8Array)) {
      throw new ClassifierError(
        ClassifierErrorCode.INVALID_ARGUMENT,
        'task input must be { images: ArrayBuffer[] }',
      );
    }
    const c = await load();
    const results = await c.classify(
      images.map((b: ArrayBuffer | Uint8Array) => (b instanceof Uint8Array ? b : new Uint8Array(b))),
    );
    return { ok: true, results, modelVersions: c.modelVersions, backend: c.backend.name };
  } catch (err) {
    return errorOutput(err);
  }
}
