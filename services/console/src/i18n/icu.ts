/**
 * A small ICU MessageFormat formatter: the subset the console's catalogues use, over `Intl.PluralRules` and
 * `Intl.NumberFormat` (no parser library in the bundle). Supported:
 *
 * - `{name}`: an argument, as text (numbers formatted for the locale);
 * - `{n, number}`: a number formatted for the locale;
 * - `{n, plural, =0 {none} one {# order} other {# orders}}`: exact matches (`=N`), then the locale's plural
 *   category (Vietnamese has only `other`; English `one` and `other`), `#` the formatted number;
 * - `{kind, select, takedown {…} blocking {…} other {…}}`.
 *
 * Apostrophes are literal text (the catalogues never need to quote braces). A malformed message throws when it
 * is first formatted; a unit test formats every catalogue entry, so a broken one fails the build's tests.
 */
export type MessageValues = Readonly<Record<string, string | number>>;

type Part =
  | string
  | { kind: 'arg'; name: string }
  | { kind: 'number'; name: string }
  | { kind: 'plural'; name: string; options: ReadonlyMap<string, readonly Part[]> }
  | { kind: 'select'; name: string; options: ReadonlyMap<string, readonly Part[]> };

const parsed = new Map<string, readonly Part[]>();

export function formatMessage(locale: string, message: string, values: MessageValues = {}): string {
  let parts = parsed.get(message);
  if (parts === undefined) {
    parts = parseMessage(message);
    parsed.set(message, parts);
  }
  return render(parts, locale, values, null);
}

function render(parts: readonly Part[], locale: string, values: MessageValues, pound: number | null): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += pound === null ? part : part.replaceAll('#', numberFormat(locale).format(pound));
      continue;
    }
    const value = values[part.name];
    if (value === undefined) throw new Error(`message argument {${part.name}} has no value`);
    if (part.kind === 'arg') out += typeof value === 'number' ? numberFormat(locale).format(value) : value;
    else if (part.kind === 'number') out += numberFormat(locale).format(Number(value));
    else if (part.kind === 'select') {
      const chosen = part.options.get(String(value)) ?? part.options.get('other');
      if (chosen === undefined)
        throw new Error(`select {${part.name}} has no option ${String(value)} or other`);
      out += render(chosen, locale, values, pound);
    } else {
      const n = Number(value);
      const chosen =
        part.options.get(`=${n}`) ??
        part.options.get(pluralRules(locale).select(n)) ??
        part.options.get('other');
      if (chosen === undefined) throw new Error(`plural {${part.name}} has no other option`);
      out += render(chosen, locale, values, n);
    }
  }
  return out;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const numberFormat = (locale: string) => {
  let f = numberFormats.get(locale);
  if (f === undefined) numberFormats.set(locale, (f = new Intl.NumberFormat(locale)));
  return f;
};
const pluralRulesCache = new Map<string, Intl.PluralRules>();
const pluralRules = (locale: string) => {
  let r = pluralRulesCache.get(locale);
  if (r === undefined) pluralRulesCache.set(locale, (r = new Intl.PluralRules(locale)));
  return r;
};

/** Parses a message into literal text and arguments; throws on unbalanced braces or an unknown argument type. */
export function parseMessage(message: string): readonly Part[] {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`message ${JSON.stringify(message)} at ${at}: ${what}`);
  };
  const skipSpace = () => {
    while (at < message.length && /\s/.test(message[at]!)) at++;
  };
  const word = () => {
    skipSpace();
    const start = at;
    while (at < message.length && /[^\s,{}]/.test(message[at]!)) at++;
    if (at === start) fail('a name was expected');
    return message.slice(start, at);
  };
  const parts = (nested: boolean): Part[] => {
    const out: Part[] = [];
    let text = '';
    while (at < message.length) {
      const c = message[at]!;
      if (c === '}') {
        if (!nested) fail('unmatched }');
        break;
      }
      if (c !== '{') {
        text += c;
        at++;
        continue;
      }
      if (text !== '') out.push(text);
      text = '';
      at++;
      out.push(argument());
    }
    if (text !== '') out.push(text);
    return out;
  };
  const argument = (): Part => {
    const name = word();
    skipSpace();
    if (message[at] === '}') {
      at++;
      return { kind: 'arg', name };
    }
    if (message[at] !== ',') fail('"," or "}" was expected');
    at++;
    const type = word();
    skipSpace();
    if (type === 'number') {
      if (message[at] !== '}') fail('"}" was expected');
      at++;
      return { kind: 'number', name };
    }
    if (type !== 'plural' && type !== 'select') return fail(`unknown argument type ${type}`);
    if (message[at] !== ',') fail('"," was expected');
    at++;
    const options = new Map<string, readonly Part[]>();
    for (;;) {
      skipSpace();
      if (message[at] === '}') {
        at++;
        break;
      }
      const key = word();
      skipSpace();
      if (message[at] !== '{') fail(`"{" was expected after ${key}`);
      at++;
      options.set(key, parts(true));
      if (message[at] !== '}') fail('"}" was expected');
      at++;
    }
    if (!options.has('other')) fail(`${type} {${name}} needs an other option`);
    return { kind: type === 'plural' ? 'plural' : 'select', name, options };
  };
  const out = parts(false);
  if (at !== message.length) fail('unexpected end');
  return out;
}
