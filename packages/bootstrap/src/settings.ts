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
