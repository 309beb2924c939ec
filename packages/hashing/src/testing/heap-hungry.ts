import { emptyChunk, flatPngWith, PNG_AFTER_HEADER } from '../png-chunks.test-helper.js';

/** Private ancillary chunk type (decoders skip it) that marks a PNG as `heapHungryPng`'s. */
export const HEAP_HUNGRY_CHUNK = 'huNg';

/** Where `heapHungryPng` puts its chunk's type: after the signature, IHDR (13 bytes of data) and a length. */
export const HEAP_HUNGRY_AT = PNG_AFTER_HEADER + 4;

/**
 * A flat 8×8 PNG in `background` marked by a private chunk right after its header: media that a pool running
 * `heapHungryTaskFilename` crashes on for real (its worker's heap past the pool's `resourceLimits`), where the hash
 * task itself hashes it. For tests of what follows a crash.
 */
export function heapHungryPng(background = '#808080'): Promise<Buffer> {
  return flatPngWith(emptyChunk(HEAP_HUNGRY_CHUNK), { background });
}

/** Whether `bytes` is a PNG `heapHungryPng` built (its chunk right after IHDR), which `heap-hungry-task` crashes on. */
export function isHeapHungry(bytes: Uint8Array): boolean {
  if (bytes.byteLength < HEAP_HUNGRY_AT + 4) return false;
  for (let i = 0; i < 4; i++) if (bytes[HEAP_HUNGRY_AT + i] !== HEAP_HUNGRY_CHUNK.charCodeAt(i)) return false;
  return true;
}

/**
 * Holds objects on the worker's V8 heap until it is past the pool's `resourceLimits` (test tasks only): a chain of
 * small objects, half a megabyte at a time, letting the event loop turn between. The shape matters: Node ends a
 * worker past its limit only as best it can (it lends the heap a little more while the worker is being stopped;
 * nodejs/node#47224, #65019), and an allocation too large to be collected around (one array grown by push(), whose
 * backing store is copied whole as it grows) or one that goes on past the loan before the stop is seen takes the
 * whole process down instead (FATAL ERROR: Reached heap limit, SIGABRT), as one array once did here to the test
 * process about one run in five.
 */
export async function exhaustHeap(): Promise<never> {
  let held: { next: unknown; n: number; text: string } | null = null;
  for (let n = 0; ; n++) {
    held = { next: held, n, text: `object ${n}` };
    if (n % 10_000 === 0) await new Promise((turn) => setImmediate(turn));
  }
}
