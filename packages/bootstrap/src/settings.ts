import { env, type EnvField } from '@mod/config';

/** The largest media a worker takes by default: what one media event carries with room to spare. */
export const DEFAULT_MAX_MEDIA_BYTES = 12 * 1024 * 1024;

/**
 * A worker's setting of the largest media it takes, in bytes (the scanner's and classifier's MAX_MEDIA_BYTES, the
 * fetcher's FETCH_MAX_BYTES): `DEFAULT_MAX_MEDIA_BYTES` unless set, at least 1 KiB, at most `max` when given.
 */
export function maxMediaBytesSetting(doc: string, bounds: { max?: number } = {}): EnvField<number> {
  return env.integer({ default: DEFAULT_MAX_MEDIA_BYTES, min: 1024, ...bounds, doc });
}

/**
 * The media workers' read-ahead by default (the runner's `readAheadBytes`): 4 MiB fetched and not yet started, some
 * 18 media messages of 220 KiB (32 MiB, the runner's default for small records, kept about 145). Measured against
 * 1 to 32 MiB with a step like a hashing pool (`@mod/kafka` README): the smallest that did not fall behind.
 */
export const DEFAULT_MEDIA_READ_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * A media worker's setting of its read-ahead, in bytes (the scanner's SCANNER_READ_AHEAD_BYTES, the classifier's
 * CLASSIFIER_READ_AHEAD_BYTES): `DEFAULT_MEDIA_READ_AHEAD_BYTES` unless set, from 256 KiB to 16 MiB (below the
 * runner's 32 MiB, so that the bound covers the Kafka client's buffer too).
 */
export function mediaReadAheadSetting(doc: string): EnvField<number> {
  return env.integer({
    default: DEFAULT_MEDIA_READ_AHEAD_BYTES,
    min: 256 * 1024,
    max: 16 * 1024 * 1024,
    doc,
  });
}
