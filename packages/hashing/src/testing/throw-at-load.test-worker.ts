/**
 * A piscina task module for tests only (`throwsAtLoadTaskFilename`), never loaded by a service: it throws while it
 * loads, as a task whose native library is missing or whose worker's `resourceLimits` no start fits in would, so no
 * worker of its pool ever starts.
 */
throw new Error('this task module throws at load');

export default function neverRuns(): never {
  throw new Error('unreachable');
}
