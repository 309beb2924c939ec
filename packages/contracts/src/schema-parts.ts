import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import { UNSAFE_TEXT_CHARACTERS } from './text-rules.js';

// The building blocks every contract schema (events, bank changes, URL-list changes) is made of, declared once
// so that an id or a timestamp means the same thing on every topic.

/** `bytes` bytes as lowercase hex (a digest). */
export const Hex = (bytes: number) => Type.String({ pattern: `^[0-9a-f]{${bytes * 2}}$` });
export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
/** An ISO 8601 UTC timestamp, as `Date.prototype.toISOString` writes it (fractional seconds optional). */
export const IsoTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' });
/** Text of whole characters (a surrogate only as half of a pair) none of which is in the class body `refused`. */
const textPattern = (refused: string): string =>
  `^(?:[^${refused}\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])*$`;

/**
 * Text without a NUL character and without half of a surrogate pair. PostgreSQL's text columns refuse a NUL, so a
 * message carrying one would fail every statement that stores it (and be retried forever) instead of being refused
 * here as the bad input it is. A lone half (JSON escapes it, `"\ud800"`) has no UTF-8 form: a text column keeps
 * U+FFFD for it, so the stored value is not the message's (the actioner refused the verdict of a platform's
 * submission whose URL held one as another URL's), and jsonb and the audit log refuse it. Whole pairs (emoji) pass.
 * The compiled schema's RegExp has no `u` flag: the pattern matches UTF-16 units.
 */
export const Text = (options: { minLength?: number; maxLength: number }) =>
  Type.String({ ...options, pattern: textPattern('\\u0000') });
/**
 * One-line text from outside (a partner's event): `Text`, and none of the characters the API refuses in free text
 * either (`UNSAFE_TEXT_CHARACTERS`: controls, bidi embeddings and overrides), so that what a partner sends on Kafka
 * is held to what its upload through the API is.
 */
export const SafeText = (options: { minLength?: number; maxLength: number }) =>
  Type.String({ ...options, pattern: textPattern(UNSAFE_TEXT_CHARACTERS) });
/** A tenant, bank, entry or other id chosen by a person or another system. */
export const Id = Text({ minLength: 1, maxLength: 200 });

/**
 * An object that refuses properties it does not declare: every contract message and its parts are closed, so a
 * producer's typo or a field from a newer version is refused at the codec instead of being silently carried.
 */
export function ClosedObject<Properties extends TProperties>(properties: Properties): TObject<Properties> {
  return Type.Object(properties, { additionalProperties: false });
}
