import { ModError } from '@mod/contracts';

/** Stable error codes of `@mod/matcher` (documented in README.md; never reused). */
export const MatcherErrorCode = {
  /** A hash is not valid hex of the expected length for its signal. */
  BadHash: 'MOD_ERR_MATCHER_BAD_HASH',
  /** A radius, quality or option is out of range. */
  BadArgument: 'MOD_ERR_MATCHER_BAD_ARGUMENT',
  /** A snapshot is truncated, has the wrong magic/version, or fails its checksum. */
  CorruptSnapshot: 'MOD_ERR_MATCHER_CORRUPT_SNAPSHOT',
  /** A snapshot was written by a newer, unknown format version. */
  SnapshotVersion: 'MOD_ERR_MATCHER_SNAPSHOT_VERSION',
  /** A bank change event is malformed (unknown type, missing field). */
  BadChange: 'MOD_ERR_MATCHER_BAD_CHANGE',
  /** An index slot does not exist or was removed. */
  UnknownSlot: 'MOD_ERR_MATCHER_UNKNOWN_SLOT',
  /** An index or set would exceed its maximum capacity (2^31 - 1 entries). */
  CapacityExceeded: 'MOD_ERR_MATCHER_CAPACITY',
} as const;
export type MatcherErrorCode = (typeof MatcherErrorCode)[keyof typeof MatcherErrorCode];

/** Every error `@mod/matcher` raises on purpose. All are bad input: never retriable. */
export class MatcherError extends ModError {
  constructor(code: MatcherErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: options.cause });
  }
}

/** A snapshot could not be read: corrupt, truncated or of an unknown version. */
export class SnapshotError extends MatcherError {}
