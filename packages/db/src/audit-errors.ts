import { ModError } from '@mod/contracts';

/**
 * Codes of the Postgres audit log (reads, proofs, exports). Stable; never renamed or reused. The Merkle and
 * bundle codes (`MOD_ERR_AUDIT_*`) come from `@mod/audit`.
 *
 * | code | meaning |
 * |---|---|
 * | `MOD_ERR_AUDIT_LOG_NO_TREE_HEAD` | no signed tree head yet, or none at the tree size asked for |
 * | `MOD_ERR_AUDIT_LOG_OUT_OF_RANGE` | a seq or tree size beyond the signed head or the log, or a time window no record of the signed tree closes yet |
 * | `MOD_ERR_AUDIT_LOG_TOO_MANY_RECORDS` | an export would hold more records than allowed, or its case refs are mentioned by more than ten times that many: narrow it |
 * | `MOD_ERR_AUDIT_LOG_NOT_ERASABLE` | the record has no erasable text of that field: a legacy record (its text is inside the hashed bytes), no such field, or already erased |
 * | `MOD_ERR_AUDIT_LOG_TEXT_HELD` | the text is kept by a legal hold: its record is indexed under a held report or evidence item (or their subjects, cases, submissions, orders); erasable once released |
 * | `MOD_ERR_AUDIT_LOG_INCONSISTENT` | the log was changed behind its tree: the stored tree does not extend a head already signed (cut back or rewritten behind the signer: no head is signed), or a time-range export's window disagrees with the records' own times (no bundle is signed) |
 */
export const AuditLogErrorCode = {
  NO_TREE_HEAD: 'MOD_ERR_AUDIT_LOG_NO_TREE_HEAD',
  OUT_OF_RANGE: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE',
  TOO_MANY_RECORDS: 'MOD_ERR_AUDIT_LOG_TOO_MANY_RECORDS',
  INCONSISTENT: 'MOD_ERR_AUDIT_LOG_INCONSISTENT',
  NOT_ERASABLE: 'MOD_ERR_AUDIT_LOG_NOT_ERASABLE',
  TEXT_HELD: 'MOD_ERR_AUDIT_LOG_TEXT_HELD',
} as const;
export type AuditLogErrorCode = (typeof AuditLogErrorCode)[keyof typeof AuditLogErrorCode];

/** A request the audit log cannot answer as asked (never retriable: the input must change). */
export class AuditLogError extends ModError {
  declare readonly code: AuditLogErrorCode;
  constructor(code: AuditLogErrorCode, message: string) {
    super(code, message, { retriable: false });
  }
}
