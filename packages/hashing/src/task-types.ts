import type { HashMediaOptions, MediaHashes } from './hash-media.js';

/** Input of the `hash-task` piscina task. `bytes` is transferred (Piscina.move), not copied. */
export interface HashTaskInput {
  bytes: ArrayBuffer;
  options?: HashMediaOptions;
}

/** Output of the `hash-task` piscina task: plain data, never an exception for bad input. */
export type HashTaskOutput =
  | { ok: true; hashes: MediaHashes }
  | { ok: false; error: { code: string; message: string; retriable: boolean } };
