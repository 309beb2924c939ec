/**
 * `@mod/hashing/testing`: test support, never loaded by a service and left out of the image (built to
 * `dist/testing`, which deploy/container/Dockerfile deletes): media that crashes a hash worker for real and the task
 * that crashes on it, and a task module no worker starts with.
 */
import { fileURLToPath } from 'node:url';

export { exhaustHeap, heapHungryPng, isHeapHungry } from './heap-hungry.js';

/** Absolute path of the compiled `heap-hungry-task`, for `new Piscina({ filename, resourceLimits })`. */
export const heapHungryTaskFilename: string = fileURLToPath(
  new URL('./heap-hungry-task.js', import.meta.url),
);

/**
 * Absolute path of the compiled `throw-at-load.test-worker`, a task module that throws while it loads: no worker of
 * a pool given it ever starts (the pool's 'error' event, `guardPoolErrors`).
 */
export const throwsAtLoadTaskFilename: string = fileURLToPath(
  new URL('./throw-at-load.test-worker.js', import.meta.url),
);
