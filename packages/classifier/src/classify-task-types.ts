import type { ClassifierOptions, ClassifierResult } from './classifier.js';
import type { ModelRef } from './manifest.js';

/** Piscina `workerData` for the classify task: the classifier options (each worker loads the models once). */
export type ClassifyWorkerData = ClassifierOptions;

/**
 * One task: encoded images, each its own ArrayBuffer moved with a transferList / `Piscina.move` (never copied).
 * Uint8Arrays are accepted too (structured-cloned, i.e. copied, unless their buffers are transferred).
 */
export interface ClassifyTaskInput {
  readonly images: readonly (ArrayBuffer | Uint8Array)[];
}

/**
 * The task's answer, plain data. `ok: false` means the worker could not classify at all (models refused,
 * backend missing, malformed task); per-image problems are `ok: false` entries inside `results`.
 */
export type ClassifyTaskOutput =
  | {
      readonly ok: true;
      readonly results: readonly ClassifierResult[];
      readonly modelVersions: readonly ModelRef[];
      readonly backend: string;
    }
  | {
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string; readonly retriable: boolean };
    };
