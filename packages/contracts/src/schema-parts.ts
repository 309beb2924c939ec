import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import { UNSAFE_TEXT_CHARACTERS } from './text-rules.js';

// The building blocks every contract schema (events, bank changes, URL-list changes) is made of, declared once
// so that an id or a timestamp means the same thing on every topic.

/** `bytes` bytes as lowercase hex (a digest). */
export const Hex = (bytes: number) => Type.String({ pattern: `^[0-9a-f]{${bytes * 2}}$` });
export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
// The days of each month, February's 29th only in a leap year (divisible by 4, not by 100 unless by 400).
const DAYS_31 = '(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])';
const DAYS_30 = '(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)';
const FEBRUARY_28 = '02-(?:0[1-9]|1\\d|2[0-8])';
const LEAP_YEAR = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const CALENDAR_DATE = `(?:\\d{4}-(?:${DAYS_31}|${DAYS_30}|${FEBRUARY_28})|${LEAP_YEAR}-02-29)`;
const TIME_OF_DAY = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?';
/**
 * An ISO 8601 UTC timestamp, as `Date.prototype.toISOString` writes it (fractional seconds optional), of a day and
 * a time that exist: 2026-02-31, month 13 or hour 24 are refused (`MOD_ERR_CONTRACT_INVALID`), where `new Date`
 * rolled them over into another day (a deadline of 2026-02-31 was 3 March) or made an Invalid Date. A leap second
 * (`23:59:60`) is refused too: `toISOString` never writes one and `Date` cannot hold one (it parses as NaN).
 */
export const IsoTime = Type.String({ pattern: `^${CALENDAR_DATE}T${TIME_OF_DAY}Z$` });
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
