const NEEDS_ESCAPE = /[\\\t\n\r]/;

/**
 * One field in PostgreSQL's COPY text format: backslash, tab, newline and carriage return escaped; `\N` is NULL.
 * Bulk loads (bank and URL-list imports, feed rows) write each row as fields joined by tabs, ended by a newline.
 * Most fields need no escaping: those are returned as they are (bank imports write millions of them).
 */
export function copyTextField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
