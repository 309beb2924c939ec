/**
 * Test support, never loaded by a service: a Piscina task that hashes as the hash task does, except media marked by
 * `heapHungryPng` (`@mod/hashing/testing`), for which it holds objects on its worker's V8 heap until that
 * heap is past the pool's `resourceLimits` (ERR_WORKER_OUT_OF_MEMORY): media that crashes its worker for real,
 * since none of this package's own code now takes the heap with the size of its input. Run it only in a pool with
 * a small `maxOldGenerationSizeMb`.
 */
import hashTask from '../hash-task.js';
import { exhaustHeap, isHeapHungry } from './heap-hungry.js';
import type { HashTaskInput, HashTaskOutput } from '../task-types.js';

export default async function heapHungryTask(input: HashTaskInput): Promise<HashTaskOutput> {
  if (input?.bytes instanceof ArrayBuffer && isHeapHungry(new Uint8Array(input.bytes))) return exhaustHeap();
  return hashTask(input);
}
