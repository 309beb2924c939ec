/**
 * The characters no one-line free text may hold, wherever it comes in (names, labels, reasons, notes, a list's
 * source and licence, a category, a partner's reference, configured page text): C0 controls and DEL (they break
 * log lines, CSV rows, feeds and terminals), C1 controls (U+009B is a terminal's CSI), and the bidi embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make text display other than it is stored: a
 * note or a name reads one way in the console, an export or a terminal and says another. As the body of a
 * character class, for a RegExp and a JSON-schema pattern alike.
 */
export const UNSAFE_TEXT_CHARACTERS = '\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069';

const UNSAFE = new RegExp(`[${UNSAFE_TEXT_CHARACTERS}]`, 'u');

/** Whether `text` holds a character of {@link UNSAFE_TEXT_CHARACTERS}. */
export function hasUnsafeTextCharacter(text: string): boolean {
  return UNSAFE.test(text);
}

/** Whether text of several lines (a report's description) holds one, tab and line breaks aside. */
export function hasUnsafeMultilineCharacter(text: string): boolean {
  return UNSAFE.test(text.replace(/[\t\n\r]/g, ' '));
}

/** A JSON-schema pattern (Ajv's `u` flag) of text with no character of {@link UNSAFE_TEXT_CHARACTERS}. */
export const SAFE_TEXT_PATTERN = `^[^${UNSAFE_TEXT_CHARACTERS}]*$`;

/**
 * The first `max` UTF-16 units of `text` (what a schema's `maxLength` counts in a message), one fewer when the last
 * would be the first half of a character (an emoji): half a character is not text, and jsonb, the audit log and
 * UTF-8 refuse it or change it.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
