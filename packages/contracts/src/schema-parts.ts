import { Type, type TObject, type TProperties } from '@sinclair/typebox';

// The building blocks every contract schema (events, bank changes, URL-list changes) is made of, declared once
// so that an id or a timestamp means the same thing on every topic.

/** `bytes` bytes as lowercase hex (a digest). */
export const Hex = (bytes: number) => Type.String({ pattern: `^[0-9a-f]{${bytes * 2}}$` });
export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
/** An ISO 8601 UTC timestamp, as `Date.prototype.toISOString` writes it (fractional seconds optional). */
export const IsoTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' });
/**
 * Text without a NUL character: PostgreSQL's text columns refuse it, so a message carrying one would fail every
 * statement that stores it (and be retried forever) instead of being refused here as the bad input it is.
 */
export const Text = (options: { minLength?: number; maxLength: number }) =>
  Type.String({ ...options, pattern: '^[^\\u0000]*$' });
/** A tenant, bank, entry or other id chosen by a person or another system. */
export const Id = Text({ minLength: 1, maxLength: 200 });

/**
 * An object that refuses properties it does not declare: every contract message and its parts are closed, so a
 * producer's typo or a field from a newer version is refused at the codec instead of being silently carried.
 */
export function ClosedObject<Properties extends TProperties>(properties: Properties): TObject<Properties> {
  return Type.Object(properties, { additionalProperties: false });
}
