/**
 * A forward-only scan of HTML start tags and their attributes, for pages an attacker wrote. Every step moves the
 * position on (each `indexOf` starts past the last), so the whole scan is linear in the input; no regular
 * expression runs over the document. Comments (ended as HTML ends them), CDATA, doctypes and processing instructions
 * are skipped (CDATA, outside SVG, as HTML does: to the next `>`); the
 * content of raw-text elements (`<script>`, `<style>`, ...) is skipped to its end tag; an unclosed tag, quote or
 * comment ends the scan there. Attribute values longer than `maxValueLength` are passed on as `null` (too long to
 * be a URL worth taking), their text never copied.
 */

/** A start tag (lower-case name) with its wanted attributes (lower-case names, first of a repeated name kept). */
export interface ScannedTag {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string | null>;
  /** A raw-text element's content (to its end tag or the input's end), when the scan was asked for it. */
  readonly text?: string;
}

/** An end tag, by lower-case name. */
export interface ScannedEndTag {
  readonly end: string;
}

/** Elements whose content is text, never tags (HTML's raw text and escapable raw text elements, and friends). */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes']);

/** HTML's ASCII white space (space, tab, LF, FF, CR), by character code. */
export const isHtmlSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** Attribute and tag names are kept only this long (longer ones are not any this scan looks for). */
const MAX_NAME_LENGTH = 64;

/** The index where `name`'s raw text ends (`</name` in any case), or the input's length when it never does. */
function rawTextEnd(html: string, from: number, name: string): number {
  for (let i = html.indexOf('</', from); i !== -1; i = html.indexOf('</', i + 2)) {
    if (html.slice(i + 2, i + 2 + name.length).toLowerCase() !== name) continue;
    const after = html.charCodeAt(i + 2 + name.length);
    if (Number.isNaN(after) || isHtmlSpace(after) || after === 0x3e || after === 0x2f) return i;
  }
  return html.length;
}

/**
 * Where a comment whose `<!--` ends before `from` ends, as HTML reads it (just past it), or -1 when it never does:
 * `<!-->` and `<!--->` are whole comments, and `--!>` closes one as `-->` does. Otherwise a page could hide markup
 * a browser shows between `<!-->` and a later `-->`.
 */
function commentEnd(html: string, from: number): number {
  if (html.charCodeAt(from) === 0x3e) return from + 1;
  if (html.startsWith('->', from)) return from + 2;
  for (let i = html.indexOf('--', from); i !== -1; i = html.indexOf('--', i + 1)) {
    if (html.charCodeAt(i + 2) === 0x3e) return i + 3;
    if (html.startsWith('!>', i + 2)) return i + 4;
  }
  return -1;
}

/**
 * Calls `visit` with each start tag and end tag in document order. `visit` answers `false` to stop the scan
 * (the caller has what it wants).
 */
export function scanTags(
  html: string,
  maxValueLength: number,
  /** Attributes whose values are kept (others are passed over, never copied). */
  wanted: ReadonlySet<string>,
  visit: (tag: ScannedTag | ScannedEndTag) => boolean,
  /** Raw-text elements (`style`...) whose content is passed on as the tag's `text` (each read once: linear). */
  rawText: ReadonlySet<string> = new Set(),
): void {
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt === -1) return;
    i = lt + 1;
    if (html.startsWith('!--', i)) {
      const end = commentEnd(html, i + 3);
      if (end === -1) return;
      i = end;
      continue;
    }
    const c = html.charCodeAt(i);
    if (c === 0x21 || c === 0x3f) {
      // <!doctype ...>, <?xml ...?>, and <![CDATA[ (one only in SVG or MathML): a bogus comment to the next '>'.
      const close = html.indexOf('>', i);
      if (close === -1) return;
      i = close + 1;
      continue;
    }
    const endTag = c === 0x2f;
    const nameStart = endTag ? i + 1 : i;
    if (!isAlpha(html.charCodeAt(nameStart))) continue; // a lone '<' is text
    let j = nameStart;
    while (j < n) {
      const d = html.charCodeAt(j);
      if (isHtmlSpace(d) || d === 0x2f || d === 0x3e) break;
      j++;
    }
    const name = html.slice(nameStart, Math.min(j, nameStart + MAX_NAME_LENGTH)).toLowerCase();
    const parsed = readAttributes(html, j, maxValueLength, wanted);
    if (parsed === null) return; // unclosed tag: the rest is not markup the browser would show
    i = parsed.next;
    if (endTag) {
      if (!visit({ end: name })) return;
      continue;
    }
    if (RAW_TEXT.has(name) && !parsed.selfClosing) {
      const end = rawTextEnd(html, i, name);
      const text = rawText.has(name) ? html.slice(i, end) : undefined;
      i = end;
      if (
        !visit(
          text === undefined
            ? { name, attributes: parsed.attributes }
            : { name, attributes: parsed.attributes, text },
        )
      )
        return;
      continue;
    }
    if (!visit({ name, attributes: parsed.attributes })) return;
  }
}

/** Reads a tag's attributes from `from` to its closing '>': null when the input ends first. */
function readAttributes(
  html: string,
  from: number,
  maxValueLength: number,
  wanted: ReadonlySet<string>,
): { attributes: Map<string, string | null>; next: number; selfClosing: boolean } | null {
  const n = html.length;
  const attributes = new Map<string, string | null>();
  let i = from;
  let selfClosing = false;
  for (;;) {
    while (i < n && (isHtmlSpace(html.charCodeAt(i)) || html.charCodeAt(i) === 0x2f)) {
      selfClosing = html.charCodeAt(i) === 0x2f;
      i++;
    }
    if (i >= n) return null;
    if (html.charCodeAt(i) === 0x3e) return { attributes, next: i + 1, selfClosing };
    selfClosing = false;
    const nameStart = i;
    // The first character is part of the name even when it is '=' (as HTML reads it).
    i++;
    while (i < n) {
      const d = html.charCodeAt(i);
      if (isHtmlSpace(d) || d === 0x2f || d === 0x3e || d === 0x3d) break;
      i++;
    }
    const name = html.slice(nameStart, Math.min(i, nameStart + MAX_NAME_LENGTH)).toLowerCase();
    while (i < n && isHtmlSpace(html.charCodeAt(i))) i++;
    let value: string | null = '';
    if (i < n && html.charCodeAt(i) === 0x3d) {
      i++;
      while (i < n && isHtmlSpace(html.charCodeAt(i))) i++;
      if (i >= n) return null;
      const q = html.charCodeAt(i);
      let start: number;
      let end: number;
      if (q === 0x22 || q === 0x27) {
        start = i + 1;
        end = html.indexOf(q === 0x22 ? '"' : "'", start);
        if (end === -1) return null;
        i = end + 1;
      } else {
        start = i;
        while (i < n) {
          const d = html.charCodeAt(i);
          if (isHtmlSpace(d) || d === 0x3e) break;
          i++;
        }
        end = i;
      }
      if (!wanted.has(name)) continue;
      value = end - start > maxValueLength ? null : decodeEntities(html.slice(start, end));
    }
    if (wanted.has(name) && !attributes.has(name)) attributes.set(name, value);
  }
}

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  sol: '/',
  colon: ':',
  period: '.',
  equals: '=',
  quest: '?',
  num: '#',
  percnt: '%',
  lpar: '(',
  rpar: ')',
  comma: ',',
  tab: '\t',
  newline: '\n',
};

/**
 * Decodes the character references a URL in an attribute uses: numeric ones and the common named ones (others
 * are left as written). Bounded patterns over a bounded value: linear.
 */
export function decodeEntities(value: string): string {
  if (value.indexOf('&') === -1) return value;
  return value.replace(
    /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]{2,8}));?/g,
    (whole, hex, dec, named) => {
      if (typeof named === 'string') return NAMED[named.toLowerCase()] ?? whole;
      const code = typeof hex === 'string' ? parseInt(hex, 16) : parseInt(String(dec), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    },
  );
}
