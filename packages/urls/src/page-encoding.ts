/**
 * The character encoding a browser decodes an HTML page with, so that the images the extractor finds are the ones
 * the page shows. HTML's order (https://html.spec.whatwg.org/#determining-the-character-encoding): a byte order
 * mark; else the Content-Type's charset; else a `<meta charset>` or `<meta http-equiv="content-type">` in the first
 * 1,024 bytes, found by the spec's prescan (which sees comments and attribute values, not `<script>` or `<title>`
 * content: a meta there counts); else UTF-8. Decoding with another than the browser's lets a page hide images:
 * an ISO-2022-JP escape (`ESC ( B`) inside an attribute name is invisible to a browser that honours
 * `<meta charset="iso-2022-jp">`, and breaks the name for a UTF-8 reading.
 */

import { isHtmlSpace } from './html-scan.js';

/** Bytes the prescan reads, as browsers do. */
const PRESCAN_BYTES = 1024;

const isSpace = (c: string | undefined) => c !== undefined && isHtmlSpace(c.charCodeAt(0));
const isAlpha = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);

/** The encoding's name for a label (`TextDecoder`'s, the Encoding standard's), or null when none is known. */
function encodingOf(label: string): string | null {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return null; // unknown, or the "replacement" encoding (Node has no decoder for it)
  }
}

/** The charset a Content-Type (or a meta's content) names: HTML's "extracting a character encoding" algorithm. */
export function charsetParameter(value: string): string | null {
  const lower = value.toLowerCase();
  for (let i = lower.indexOf('charset'); i !== -1; i = lower.indexOf('charset', i + 7)) {
    let j = i + 7;
    while (isSpace(lower[j])) j++;
    if (lower[j] !== '=') continue;
    j++;
    while (isSpace(lower[j])) j++;
    const quote = lower[j];
    if (quote === '"' || quote === "'") {
      const end = lower.indexOf(quote, j + 1);
      return end === -1 ? null : value.slice(j + 1, end);
    }
    let end = j;
    while (end < lower.length && !isSpace(lower[end]) && lower[end] !== ';') end++;
    return end === j ? null : value.slice(j, end);
  }
  return null;
}

/** One attribute of the prescan (HTML's "get an attribute"), or null at the tag's end or the input's. */
function getAttribute(s: string, from: number): { name: string; value: string; next: number } | null {
  let i = from;
  while (isSpace(s[i]) || s[i] === '/') i++;
  if (i >= s.length || s[i] === '>') return null;
  let name = '';
  for (; ; i++) {
    if (i >= s.length) return null;
    const c = s[i]!;
    if (c === '=' && name !== '') break;
    if (c === '/' || c === '>') return { name, value: '', next: i };
    if (isSpace(c)) {
      // Spaces may stand around the '=' ("charset = x"); without one, the attribute has no value.
      while (isSpace(s[i])) i++;
      if (s[i] !== '=') return { name, value: '', next: i };
      break;
    }
    name += c.toLowerCase();
  }
  i++; // '='
  while (isSpace(s[i])) i++;
  if (i >= s.length) return null;
  const quote = s[i];
  if (quote === '"' || quote === "'") {
    const end = s.indexOf(quote, i + 1);
    if (end === -1) return null;
    return { name, value: s.slice(i + 1, end), next: end + 1 };
  }
  let end = i;
  while (end < s.length && !isSpace(s[end]) && s[end] !== '>') end++;
  if (end >= s.length) return null;
  return { name, value: s.slice(i, end), next: end };
}

/** The encoding a `<meta>` at `from` (just past `<meta`) declares, and where its tag ends. */
function metaEncoding(s: string, from: number): { encoding: string | null; next: number } | null {
  const seen = new Map<string, string>();
  let i = from;
  for (let a = getAttribute(s, i); a !== null; a = getAttribute(s, i)) {
    i = a.next;
    if (!seen.has(a.name)) seen.set(a.name, a.value);
  }
  if (i >= s.length) return null;
  let label: string | null = null;
  if (seen.has('charset')) label = seen.get('charset')!;
  else if (seen.get('http-equiv')?.toLowerCase() === 'content-type' && seen.has('content'))
    label = charsetParameter(seen.get('content')!);
  let encoding = label === null ? null : encodingOf(label);
  // A meta cannot switch to UTF-16 (the bytes read so far were ASCII-compatible); x-user-defined means windows-1252.
  if (encoding === 'utf-16le' || encoding === 'utf-16be') encoding = 'utf-8';
  if (encoding === 'x-user-defined') encoding = 'windows-1252';
  return { encoding, next: i };
}

/** HTML's prescan of a page's first 1,024 bytes for a `<meta>` encoding declaration, or null when none. */
export function prescanEncoding(bytes: Uint8Array): string | null {
  // Byte for character: the prescan reads ASCII only, and never decodes.
  const s = String.fromCharCode(...bytes.subarray(0, PRESCAN_BYTES));
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('<!--', i)) {
      // The '-->' may share the comment's opening dashes ("<!-->").
      const end = s.indexOf('-->', i + 2);
      if (end === -1) return null;
      i = end + 3;
    } else if (s.slice(i, i + 5).toLowerCase() === '<meta' && (isSpace(s[i + 5]) || s[i + 5] === '/')) {
      const meta = metaEncoding(s, i + 6);
      if (meta === null) return null;
      if (meta.encoding !== null) return meta.encoding;
      i = meta.next;
    } else if (s[i] === '<' && (isAlpha(s[i + 1]) || (s[i + 1] === '/' && isAlpha(s[i + 2])))) {
      let j = i + (s[i + 1] === '/' ? 2 : 1);
      while (j < s.length && !isSpace(s[j]) && s[j] !== '>') j++;
      for (let a = getAttribute(s, j); a !== null; a = getAttribute(s, j)) j = a.next;
      if (j >= s.length) return null;
      i = j + 1;
    } else if (s[i] === '<' && (s[i + 1] === '!' || s[i + 1] === '/' || s[i + 1] === '?')) {
      const end = s.indexOf('>', i + 2);
      if (end === -1) return null;
      i = end + 1;
    } else i++;
  }
  return null;
}

/** The encoding a browser decodes `bytes` with (see the module's comment), by its `TextDecoder` name. */
export function pageEncoding(bytes: Uint8Array, contentType: string | null): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  const declared = contentType === null ? null : charsetParameter(contentType.slice(0, 1024));
  const fromHeader = declared === null ? null : encodingOf(declared);
  if (fromHeader !== null) return fromHeader;
  return prescanEncoding(bytes) ?? 'utf-8';
}

/** A page's text as a browser reads it (the byte order mark dropped). Never throws. */
export function decodePage(bytes: Uint8Array, contentType: string | null): string {
  return new TextDecoder(pageEncoding(bytes, contentType)).decode(bytes);
}
