/**
 * One read of the database shared by the gauges a scrape collects one after another (each gauge's `collect` asks;
 * a read younger than `maxAgeMs` is answered again). A failed read answers null and is not kept: the database is
 * away, readiness says so, and the gauges keep their last values.
 */
export function sharedScrapeRead<T>(load: () => Promise<T>, maxAgeMs = 1000): () => Promise<T | null> {
  let read: { at: number; value: Promise<T> } | null = null;
  return async () => {
    const at = Date.now();
    if (read === null || at - read.at > maxAgeMs) read = { at, value: load() };
    try {
      return await read.value;
    } catch {
      read = null;
      return null;
    }
  };
}
