import { readFileSync } from 'node:fs';

/** Reads a file under `packages/hashing/fixtures/` (copies of the reference images; see SOURCES.md). */
export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/${path}`, import.meta.url)));
}
