/**
 * Test support, never loaded by a service: a Piscina task that classifies as the classify task does, except that a
 * task holding an image built by `heapHungryPng` (`@mod/hashing/testing`) holds objects on its worker's V8
 * heap until that heap is past the pool's `resourceLimits` (ERR_WORKER_OUT_OF_MEMORY): media that crashes a
 * classifier worker for real, as `heap-hungry-task` does a hashing worker. Run it only in a pool with a small
 * `maxOldGenerationSizeMb`.
 */
import { exhaustHeap, isHeapHungry } from '@mod/hashing/testing';
import classifyTask from '../classify-task.js';
import type { ClassifyTaskInput, ClassifyTaskOutput } from '../classify-task-types.js';

export default async function heapHungryClassifyTask(input: ClassifyTaskInput): Promise<ClassifyTaskOutput> {
  const images = (input as { images?: unknown } | null | undefined)?.images;
  if (
    Array.isArray(images) &&
    images.some((b) => b instanceof ArrayBuffer && isHeapHungry(new Uint8Array(b)))
  )
    return exhaustHeap();
  return classifyTask(input);
}
