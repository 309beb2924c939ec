import { createHash, randomBytes } from 'node:crypto';
import { COMMITTED_FIELDS, type AuditRecord } from './record.js';

/**
 * Erasable free text. A record written since 0047 keeps no free text in its hashed bytes: its leaf carries a
 * salted commitment per field (`commitments`), and the text with its salt lives beside the log (`audit_texts`),
 * where it can be erased without touching the tree. commitment = SHA-256("mod.audit.text.v1\0" ‖ field ‖ "\0" ‖
 * salt (32 random bytes) ‖ UTF-8 text): the salt keeps a short text unguessable from its commitment.
 */
export const TEXT_COMMITMENT_LABEL = 'mod.audit.text.v1\u0000';
export { COMMITTED_FIELDS };
export type CommittedField = (typeof COMMITTED_FIELDS)[number];
export const TEXT_SALT_BYTES = 32;

/** A committed field's text as kept beside the log (salt as hex), or its erasure. */
export type RecordText = { text: string; salt: string } | { erasedAt: string };

/** SHA-256 commitment (hex) to `text` of `field` under `salt` (hex). */
export function commitText(field: string, saltHex: string, text: string): string {
  return createHash('sha256')
    .update(TEXT_COMMITMENT_LABEL, 'utf8')
    .update(field, 'utf8')
    .update('\u0000', 'utf8')
    .update(Buffer.from(saltHex, 'hex'))
    .update(text, 'utf8')
    .digest('hex');
}

/** A fresh salt (hex) for a new commitment. */
export const newTextSalt = (): string => randomBytes(TEXT_SALT_BYTES).toString('hex');

const SALT_HEX = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `v` has the shape of a `RecordText`. */
export function isRecordText(v: unknown): v is RecordText {
  if (!isObject(v)) return false;
  const keys = Object.keys(v).sort().join(',');
  if (keys === 'erasedAt') return typeof v.erasedAt === 'string';
  return keys === 'salt,text' && typeof v.text === 'string' && typeof v.salt === 'string';
}

/**
 * What is wrong with the texts shown beside a record, or null: a text of a field the record commits to no text
 * for is refused (it could be anything), a present text must hash with its salt to the record's commitment, an
 * erased one is accepted. `texts` may omit a committed field (not shown), never add one.
 */
export function checkRecordTexts(
  record: AuditRecord,
  texts: Record<string, unknown> | undefined,
): string | null {
  for (const [field, value] of Object.entries(texts ?? {})) {
    const commitment = record.commitments?.[field];
    if (commitment === undefined)
      return `text ${field} of record ${record.seq} has no commitment in the record`;
    if (!isRecordText(value)) return `text ${field} of record ${record.seq} is malformed`;
    if ('erasedAt' in value) continue;
    if (!SALT_HEX.test(value.salt) || commitText(field, value.salt, value.text) !== commitment)
      return `text ${field} of record ${record.seq} does not match its commitment`;
  }
  return null;
}

/** Whether a record's free text can be erased: only records that commit to it (not legacy ones). */
export const isErasable = (record: AuditRecord, field: string): boolean =>
  record.commitments?.[field] !== undefined;
