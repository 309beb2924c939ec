/**
 * `@mod/classifier/testing`: test support, never loaded by a service and left out of the image (built to
 * `dist/testing`, which deploy/container/Dockerfile deletes).
 */
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the compiled `heap-hungry-classify-task`, a classify task whose worker runs out of heap on
 * `heapHungryPng` (`@mod/hashing/testing`); for tests of what follows a worker crash.
 */
export const heapHungryClassifyTaskFilename: string = fileURLToPath(
  new URL('./heap-hungry-classify-task.js', import.meta.url),
);
