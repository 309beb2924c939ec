import { AuditError, AuditErrorCode } from './errors.js';

/** JSON's own whitespace (RFC 8259): what may stand between a key and its colon. */
const JSON_SPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * The first key that one object of the JSON text holds twice (compared as decoded, so `"a"` and `"\u0061"` are
 * the same key), or null. `text` must be valid JSON (parse it first).
 */
export function duplicateJsonKey(text: string): string | null {
  // One entry per open object (its keys so far) or array (null).
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '{') open.push(new Set());
    else if (ch === '[') open.push(null);
    else if (ch === '}' || ch === ']') open.pop();
    else if (ch === '"') {
      let end = i + 1;
      while (text.charAt(end) !== '"') end += text.charAt(end) === '\\' ? 2 : 1;
      const keys = open.at(-1);
      let next = end + 1;
      while (JSON_SPACE.has(text.charAt(next))) next++;
      // Inside an object, a string followed by a colon is a key; any other string is a value.
      if (keys !== undefined && keys !== null && text.charAt(next) === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    }
  }
  return null;
}

/**
 * Parses JSON that holds no object key twice. `JSON.parse` keeps the last of two, other readers (and a person
 * reading the file) the first: in a bundle or a kept head, a verifier would check one content while another is
 * shown. Throws MOD_ERR_AUDIT_BUNDLE_MALFORMED for invalid JSON or a key held twice.
 */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AuditError(AuditErrorCode.BUNDLE_MALFORMED, `not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  const twice = duplicateJsonKey(text);
  if (twice !== null)
    throw new AuditError(
      AuditErrorCode.BUNDLE_MALFORMED,
      `key ${JSON.stringify(twice)} appears twice in one object: readers could disagree on which one counts`,
    );
  return value;
}
