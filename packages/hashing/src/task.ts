/** Subpath `@mod/hashing/task`: what a scanner needs to run the hash task in its own Piscina. */
export { createHashPool, hashInPool, hashTaskFilename, isHashPoolSaturated, runHashTask } from './pool.js';
export type { HashPoolOptions } from './pool.js';
export type { HashTaskInput, HashTaskOutput } from './task-types.js';
