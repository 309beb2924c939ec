import { ModError } from '@mod/contracts';

/**
 * Every error code this package throws or reports. Stable: never renamed or reused; README.md lists them.
 * The `*_RECORD_*`, `BAD_*`, `UNKNOWN_KEY` and `BUNDLE_MALFORMED` codes are also the codes of a failed
 * bundle verification (`verifyBundle` returns them rather than throwing).
 */
export const AuditErrorCode = {
  /** A value cannot be put in canonical form (non-finite number, undefined, byte array, cycle, ...). */
  NOT_CANONICAL: 'MOD_ERR_AUDIT_NOT_CANONICAL',
  /** An audit record breaks the schema (unknown field, free text too long, digest not hex, ...). */
  INVALID_RECORD: 'MOD_ERR_AUDIT_INVALID_RECORD',
  /** A Merkle argument is out of range (leaf index >= tree size, size beyond the stored tree, ...). */
  INVALID_ARGUMENT: 'MOD_ERR_AUDIT_INVALID_ARGUMENT',
  /** The store's size moved under an append (another appender won the race): re-read and retry. */
  STORE_CONFLICT: 'MOD_ERR_AUDIT_STORE_CONFLICT',
  /** The store lacks a node it should hold (corrupt or truncated store). */
  STORE_MISSING_NODE: 'MOD_ERR_AUDIT_STORE_MISSING_NODE',
  /** A key cannot be loaded: not PEM/SPKI, not Ed25519, or missing from the environment. */
  KEY_INVALID: 'MOD_ERR_AUDIT_KEY_INVALID',
  /** Bundle: a record's bytes no longer hash to its leaf hash, or are not a valid canonical record. */
  RECORD_CHANGED: 'MOD_ERR_AUDIT_RECORD_CHANGED',
  /** Bundle: a record the bundle's scope promises is missing (gap in seq). */
  RECORD_DELETED: 'MOD_ERR_AUDIT_RECORD_DELETED',
  /** Bundle: a record is out of order, or sits at a leaf index other than its seq. */
  RECORD_REORDERED: 'MOD_ERR_AUDIT_RECORD_REORDERED',
  /** Bundle: an inclusion proof does not lead to the signed root. */
  BAD_PROOF: 'MOD_ERR_AUDIT_BAD_PROOF',
  /** Bundle: the tree head's signature does not verify. */
  BAD_SIGNATURE: 'MOD_ERR_AUDIT_BAD_SIGNATURE',
  /** Bundle: the tree head is signed by a key that is not trusted. */
  UNKNOWN_KEY: 'MOD_ERR_AUDIT_UNKNOWN_KEY',
  /** Bundle: the file is not a bundle of a supported format (missing field, wrong type, bad hex). */
  BUNDLE_MALFORMED: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED',
  /** Bundle: a legacy bundle whose scope is not signed, so records may have been removed from it unseen. */
  SCOPE_UNSIGNED: 'MOD_ERR_AUDIT_SCOPE_UNSIGNED',
  /** Bundle: the scope signature does not verify (the scope was altered, or moved onto another head). */
  BAD_SCOPE_SIGNATURE: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE',
  /**
   * Stored log: a record's evidence digest whose document is gone from `audit_evidence` (deleted behind the
   * append-only triggers); the record itself may still verify.
   */
  EVIDENCE_MISSING: 'MOD_ERR_AUDIT_EVIDENCE_MISSING',
  /**
   * A tree head (or a bundle) names another log than the one expected: a head of another deployment's log, or
   * of a test log, signed with the same key, presented as this log's.
   */
  WRONG_LOG: 'MOD_ERR_AUDIT_WRONG_LOG',
  /**
   * A log was expected to be checked (`logId` given) but the head or bundle is of the legacy format that names
   * no log, and nothing signed binds it to one.
   */
  LEGACY_HEAD: 'MOD_ERR_AUDIT_LEGACY_HEAD',
} as const;
export type AuditErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

/** Base class of every error thrown by `@mod/audit`. Never retriable except `STORE_CONFLICT`. */
export class AuditError extends ModError {
  declare readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** An audit record failed validation; `problems` lists every problem found, not just the first. */
export class InvalidRecordError extends AuditError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(AuditErrorCode.INVALID_RECORD, `invalid audit record: ${problems.join('; ')}`);
    this.problems = problems;
  }
}
