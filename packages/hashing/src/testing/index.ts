/**
 * `@mod/hashing/testing`: test support, never loaded by a service and left out of the image (built to
 * `dist/testing`, which deploy/container/Dockerfile deletes): media that crashes a hash worker for real and the task
 * that crashes on it.
 */
import { fileURLToPath } from 'node:url';

export { exhaustHeap, heapHungryPng, isHeapHungry } from './heap-hungry.js';

/** Absolute path of the compiled `heap-hungry-task`, for `new Piscina({ filename, resourceLimits })`. */
export const heapHungryTaskFilename: string = fileURLToPath(
  new URL('./heap-hungry-task.js', import.meta.url),
);
