/** Private ancillary chunk type (decoders skip it) that marks a PNG as `heapHungryPng`'s. */
export const HEAP_HUNGRY_CHUNK = 'huNg';

/** Where `heapHungryPng` puts its chunk's type: after the signature, IHDR (13 bytes of data) and a length. */
export const HEAP_HUNGRY_AT = 8 + 12 + 13 + 4;

/** Whether `bytes` is a PNG `heapHungryPng` built (its chunk right after IHDR), which `heap-hungry-task` crashes on. */
export function isHeapHungry(bytes: Uint8Array): boolean {
  if (bytes.byteLength < HEAP_HUNGRY_AT + 4) return false;
  for (let i = 0; i < 4; i++) if (bytes[HEAP_HUNGRY_AT + i] !== HEAP_HUNGRY_CHUNK.charCodeAt(i)) return false;
  return true;
}

/** Holds objects on the worker's V8 heap until it is past the pool's `resourceLimits` (test tasks only). */
export function exhaustHeap(): never {
  const held: object[] = [];
  for (;;) held.push({ index: held.length, text: `object ${held.length}` });
}
