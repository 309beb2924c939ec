import { expect } from 'vitest';
import type { ImportProgress } from './index.js';

/**
 * Runs an import (a hash-bank list or a URL list) handing it a listener of its progress, and checks both: the
 * import's report matches `report`, and the progress it reported is `events`, in order.
 */
export async function expectImportProgress(
  run: (onProgress: (p: ImportProgress) => void) => Promise<unknown>,
  report: Record<string, unknown>,
  events: readonly ImportProgress[],
): Promise<void> {
  const seen: ImportProgress[] = [];
  expect(await run((p) => seen.push({ ...p }))).toMatchObject(report);
  expect(seen).toEqual(events);
}
