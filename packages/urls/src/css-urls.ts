/**
 * The image URLs CSS names, for pages an attacker wrote: `url(...)` in the value of an image-bearing property
 * (`background`, `background-image`, `content`, `list-style`, `list-style-image`, `border-image`,
 * `border-image-source`) or of a custom property (`--x: url(...)`, shown wherever `var(--x)` is used), and the
 * strings of an `image-set()` there, in a `style` attribute or a `<style>` block. `@import`, fonts (`src` of
 * `@font-face`) and every other property are passed over. A forward-only tokenizer after CSS Syntax Level 3 (comments, strings,
 * escapes, the `url(` token and its bad-url recovery): each character is read once, so the scan is linear in the
 * input, and no regular expression runs over it.
 */

/** Properties whose `url(...)` a browser loads as an image the page shows. */
const IMAGE_PROPERTIES: ReadonlySet<string> = new Set([
  'background',
  'background-image',
  'content',
  'list-style',
  'list-style-image',
  'border-image',
  'border-image-source',
]);

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isNewline = (c: number) => c === 0x0a || c === 0x0c || c === 0x0d;
const isNameStart = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isName = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
/** Characters an unquoted `url(` may not hold (a bad url): quotes, `(`, and non-printables. */
const breaksUrl = (c: number) =>
  c === 0x22 || c === 0x27 || c === 0x28 || c <= 0x08 || c === 0x0b || (c >= 0x0e && c <= 0x1f) || c === 0x7f;

/** A tokenizer over one text: each method moves `i` on and never back. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}

  code(at = this.i): number {
    return at < this.s.length ? this.s.charCodeAt(at) : NaN;
  }

  /** Whether `\` at `at` starts an escape (not one followed by a newline). */
  validEscape(at = this.i): boolean {
    return this.code(at) === 0x5c && !isNewline(this.code(at + 1));
  }

  /** Consumes the escape whose `\` is at `i` (a valid one): the character it stands for. */
  escape(): string {
    this.i++; // the backslash
    if (this.i >= this.s.length) return '\ufffd';
    const start = this.i;
    while (this.i < this.s.length && this.i - start < 6 && isHex(this.code())) this.i++;
    if (this.i === start) return this.s[this.i++]!;
    const cp = parseInt(this.s.slice(start, this.i), 16);
    if (isSpace(this.code())) this.i++;
    return cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
  }

  /** Consumes a name (letters, digits, `-`, `_`, non-ASCII, escapes) from `i`. */
  name(): string {
    let out = '';
    let from = this.i;
    for (;;) {
      const c = this.code();
      if (isName(c)) this.i++;
      else if (this.validEscape()) {
        out += this.s.slice(from, this.i) + this.escape();
        from = this.i;
      } else break;
    }
    return out + this.s.slice(from, this.i);
  }

  /** Consumes a string whose opening quote is at `i`: its value, or null when a newline ends it (a bad string). */
  string(): string | null {
    const quote = this.code();
    this.i++;
    let out = '';
    let from = this.i;
    while (this.i < this.s.length) {
      const c = this.code();
      if (c === quote) {
        out += this.s.slice(from, this.i);
        this.i++;
        return out;
      }
      if (isNewline(c)) return null; // left for the caller to read on, as CSS does
      if (c === 0x5c) {
        out += this.s.slice(from, this.i);
        if (isNewline(this.code(this.i + 1)))
          this.i += 2; // an escaped newline: nothing
        else out += this.escape();
        from = this.i;
        continue;
      }
      this.i++;
    }
    return out + this.s.slice(from, this.i); // the input ends the string (CSS takes it)
  }

  skipSpace(): void {
    while (isSpace(this.code())) this.i++;
  }

  /** A bad url's rest, to its `)` (escaped ones passed over) or the input's end. */
  badUrlRest(): void {
    while (this.i < this.s.length) {
      const c = this.code();
      if (c === 0x29) {
        this.i++;
        return;
      }
      this.i += this.validEscape() ? 2 : 1;
    }
  }

  /** After `url(`: the URL, or null for a bad url (its rest consumed). */
  url(): string | null {
    this.skipSpace();
    const q = this.code();
    if (q === 0x22 || q === 0x27) {
      // url("...") is a function holding a string: only a lone string is a URL a browser loads.
      const value = this.string();
      this.skipSpace();
      if (value !== null && (this.i >= this.s.length || this.code() === 0x29)) {
        this.i++;
        return value;
      }
      this.badUrlRest();
      return null;
    }
    let out = '';
    let from = this.i;
    while (this.i < this.s.length) {
      const c = this.code();
      if (c === 0x29) {
        out += this.s.slice(from, this.i);
        this.i++;
        return out;
      }
      if (isSpace(c)) {
        out += this.s.slice(from, this.i);
        this.skipSpace();
        if (this.i >= this.s.length || this.code() === 0x29) {
          this.i++;
          return out;
        }
        this.badUrlRest();
        return null;
      }
      if (breaksUrl(c) || (c === 0x5c && !this.validEscape())) {
        this.badUrlRest();
        return null;
      }
      if (c === 0x5c) {
        out += this.s.slice(from, this.i) + this.escape();
        from = this.i;
        continue;
      }
      this.i++;
    }
    return out + this.s.slice(from, this.i); // the input ends the url (CSS takes it)
  }
}

/**
 * Calls `take` with each URL an image-bearing property names in `css`, in order. `declarations`: the text is a
 * declaration list (a `style` attribute); `stylesheet`: rules (a `<style>` block), where declarations are inside
 * braces. Never throws.
 */
export function cssImageUrls(
  css: string,
  mode: 'declarations' | 'stylesheet',
  take: (url: string) => void,
): void {
  const c = new Cursor(css);
  const n = css.length;
  let depth = 0;
  /** At the start of a declaration (a name read now may be a property). */
  let atStart = mode === 'declarations';
  /** A name read at a declaration's start, awaiting its `:`. */
  let pending: string | null = null;
  /** The property whose value is being read. */
  let property: string | null = null;
  /** Open parentheses in the value, and how many were open inside the outermost `image-set(` (null: none). */
  let parens = 0;
  let imageSetAt: number | null = null;
  const imageProperty = () =>
    property !== null && (IMAGE_PROPERTIES.has(property) || property.startsWith('--'));
  const endDeclaration = () => {
    property = null;
    pending = null;
    parens = 0;
    imageSetAt = null;
    atStart = depth > 0 || mode === 'declarations';
  };
  while (c.i < n) {
    const ch = c.code();
    if (isSpace(ch)) {
      c.i++;
      continue;
    }
    if (ch === 0x2f && c.code(c.i + 1) === 0x2a) {
      const close = css.indexOf('*/', c.i + 2);
      c.i = close === -1 ? n : close + 2;
      continue;
    }
    if (ch === 0x22 || ch === 0x27) {
      // image-set("a.jpg" 1x): a string argument is an image's URL as url() is.
      const value = c.string();
      if (value !== null && imageSetAt === parens && imageProperty()) take(value);
      atStart = false;
      pending = null;
      continue;
    }
    const nameAhead =
      isNameStart(ch) ||
      c.validEscape() ||
      (ch === 0x2d && (isNameStart(c.code(c.i + 1)) || c.code(c.i + 1) === 0x2d || c.validEscape(c.i + 1)));
    if (nameAhead) {
      const name = c.name().toLowerCase();
      if (c.code() === 0x28) {
        c.i++;
        if (name === 'url') {
          const url = c.url();
          if (url !== null && imageProperty()) take(url);
        } else {
          parens++;
          if (imageSetAt === null && (name === 'image-set' || name === '-webkit-image-set'))
            imageSetAt = parens;
        }
        // Any other function (image-set, linear-gradient, var...): its arguments are read on as tokens.
        atStart = false;
        pending = null;
        continue;
      }
      pending = atStart ? name : null;
      atStart = false;
      continue;
    }
    c.i++;
    switch (ch) {
      case 0x3a: // ':'
        if (pending !== null) property = pending;
        pending = null;
        break;
      case 0x40: // '@': an at-rule's prelude (@import url(...), @font-face) names no image
        c.name();
        property = null;
        pending = null;
        atStart = false;
        break;
      case 0x3b: // ';'
        endDeclaration();
        break;
      case 0x7b: // '{'
        depth++;
        endDeclaration();
        break;
      case 0x7d: // '}'
        if (depth > 0) depth--;
        endDeclaration();
        break;
      case 0x28: // '('
        parens++;
        atStart = false;
        pending = null;
        break;
      case 0x29: // ')'
        if (imageSetAt !== null && parens <= imageSetAt) imageSetAt = null;
        if (parens > 0) parens--;
        atStart = false;
        pending = null;
        break;
      case 0x5c: // a backslash before a newline: a stray character
      default:
        atStart = false;
        pending = null;
    }
  }
}
