import { restoreFormulaCell } from '@mod/contracts/spreadsheet-cells';
import { hasUnsafeTextCharacter } from '@mod/contracts/text-rules';
import { hexNibble } from './bits.js';
import { SIGNAL_HEX_LENGTH, Signal } from './bank-model.js';

/**
 * One line of a bank list to an entry: CSV/TSV fields and header columns, JSONL objects, and the checks of each
 * field, with the stable per-line error codes.
 */

/** Per-line error codes of {@link parseBankList} (reported, never thrown). */
export const BankListErrorCode = {
  /** The line exceeds `maxLineBytes`; it was skipped without being buffered. */
  LineTooLong: 'MOD_ERR_MATCHER_LIST_LINE_TOO_LONG',
  /** The line is not valid UTF-8. */
  BadEncoding: 'MOD_ERR_MATCHER_LIST_BAD_ENCODING',
  /** Wrong number of columns, unbalanced quotes, or a JSONL line that is not a JSON object. */
  BadSyntax: 'MOD_ERR_MATCHER_LIST_BAD_SYNTAX',
  /** Unknown signal type. */
  BadSignal: 'MOD_ERR_MATCHER_LIST_BAD_SIGNAL',
  /** The value has a non-hex character. */
  BadHex: 'MOD_ERR_MATCHER_LIST_BAD_HEX',
  /** The value has the wrong number of hex digits for its signal. */
  BadLength: 'MOD_ERR_MATCHER_LIST_BAD_LENGTH',
  /** Quality is not an integer 0..100, or is given for a signal other than PDQ. */
  BadQuality: 'MOD_ERR_MATCHER_LIST_BAD_QUALITY',
  /** Category or note is too long, not a string, or holds a control character (U+0000-U+001F, U+007F). */
  BadField: 'MOD_ERR_MATCHER_LIST_BAD_FIELD',
  /** The signal is not in `allowedSignals`, or differs from the file's first signal with `rejectMixedSignals`. */
  MixedSignals: 'MOD_ERR_MATCHER_LIST_MIXED_SIGNALS',
  /** Same signal and value as an earlier line (named in the message). */
  Duplicate: 'MOD_ERR_MATCHER_LIST_DUPLICATE',
  /** A PDQ or blockhash value whose bits are all equal (all 0 or all 1): the hash of blank media, no one image's. */
  DegenerateHash: 'MOD_ERR_MATCHER_LIST_DEGENERATE_HASH',
} as const;
export type BankListErrorCode = (typeof BankListErrorCode)[keyof typeof BankListErrorCode];

/** One valid list line. `value` is lowercase hex. */
export interface BankListEntry {
  signal: Signal;
  value: string;
  quality?: number;
  category?: string;
  note?: string;
}

const MAX_CATEGORY = 100;
const MAX_NOTE = 1000;
export const SIGNAL_NAMES = new Set<string>(Object.values(Signal));
const COLUMNS = ['signal', 'value', 'quality', 'category', 'note'] as const;
export type Column = (typeof COLUMNS)[number];
const COLUMN_ALIASES: Readonly<Record<string, Column>> = {
  signal: 'signal',
  type: 'signal',
  signal_type: 'signal',
  value: 'value',
  hash: 'value',
  quality: 'quality',
  category: 'category',
  note: 'note',
};

/**
 * The columns a CSV/TSV header line names (aliases allowed, any order): undefined when the line is data (its
 * first field names no column), null when it names an unknown or repeated column or lacks `value`.
 */
export function headerColumns(fields: readonly string[]): Column[] | null | undefined {
  const names = fields.map((x) => COLUMN_ALIASES[x.toLowerCase()]);
  if (names[0] === undefined) return undefined;
  if (names.some((x) => x === undefined) || new Set(names).size !== names.length || !names.includes('value'))
    return null;
  return names as Column[];
}

/** Splits one CSV/TSV line into fields; double quotes (RFC 4180, "" escapes) within one line. Null = bad quotes. */
export function splitFields(line: string, sep: string): string[] | null {
  if (!line.includes('"')) {
    const fields = line.split(sep);
    for (let i = 0; i < fields.length; i++) fields[i] = (fields[i] as string).trim();
    return fields;
  }
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(field);
      if (i === line.length) return out;
      if (line[i] !== sep) return null;
      i++;
    } else {
      const s = line.indexOf(sep, i);
      if (s < 0) {
        out.push(line.slice(i).trim());
        return out;
      }
      out.push(line.slice(i, s).trim());
      i = s + 1;
    }
  }
}

/**
 * Whether a perceptual hash is degenerate: every bit the same. Blank media hashes so (blockhash: a uniform dark
 * image is all 0, a light one all 1; PDQ: an image too small to hash is all 0), and a perceptual bank entry
 * matches within a Hamming radius: such an entry in a list would match every blank or nearly blank upload, and
 * with an automatic bank action them all. Exact signals (MD5, SHA-*) name one file whatever their bits.
 */
export function isDegenerateHash(signal: Signal, lowercaseHex: string): boolean {
  return (signal === 'pdq' || signal === 'blockhash') && /^(?:0+|f+)$/.test(lowercaseHex);
}

/** 0 when `v` holds a non-hex character, 1 when it is lowercase hex (or empty), 2 when it has A-F. */
function hexKind(v: string): 0 | 1 | 2 {
  let kind: 0 | 1 | 2 = 1;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (hexNibble(c) < 0) return 0;
    if (c <= 70 && c >= 65) kind = 2; // A-F
  }
  return kind;
}

type Fields = Partial<Record<Column, unknown>>;
/** A line's entry, or why it has none. */
export type LineResult = { entry: BankListEntry } | { error: { code: BankListErrorCode; message: string } };

export function lineError(code: BankListErrorCode, message: string): LineResult {
  return { error: { code, message } };
}

function validateFields(f: Fields): LineResult {
  const signal = f.signal;
  if (typeof signal !== 'string' || !SIGNAL_NAMES.has(signal.toLowerCase())) {
    return lineError(
      BankListErrorCode.BadSignal,
      `unknown signal ${JSON.stringify(String(signal)).slice(0, 40)}`,
    );
  }
  const sig = signal.toLowerCase() as Signal;
  const value = f.value;
  const kind = typeof value === 'string' ? hexKind(value) : 0;
  if (typeof value !== 'string' || kind === 0)
    return lineError(BankListErrorCode.BadHex, `${sig} value is not hex`);
  const len = SIGNAL_HEX_LENGTH[sig];
  if (value.length !== len) {
    return lineError(
      BankListErrorCode.BadLength,
      `${sig} value must be ${len} hex digits, got ${value.length}`,
    );
  }
  const entry: BankListEntry = { signal: sig, value: kind === 2 ? value.toLowerCase() : value };
  if (isDegenerateHash(sig, entry.value))
    return lineError(
      BankListErrorCode.DegenerateHash,
      `${sig} value has every bit ${entry.value[0] === '0' ? '0' : '1'}: the hash of blank media, which would match every blank or near-blank image`,
    );
  const q = f.quality;
  if (q !== undefined && q !== '' && q !== null) {
    const n = typeof q === 'string' && /^\d{1,3}$/.test(q) ? Number(q) : q;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) {
      return lineError(BankListErrorCode.BadQuality, 'quality must be an integer in 0..100');
    }
    if (sig !== 'pdq')
      return lineError(BankListErrorCode.BadQuality, `quality applies to pdq only, not ${sig}`);
    entry.quality = n;
  }
  const category = optionalText(f.category, MAX_CATEGORY);
  if (category === false) return badText('category', MAX_CATEGORY);
  if (category !== undefined) entry.category = category;
  const note = optionalText(f.note, MAX_NOTE);
  if (note === false) return badText('note', MAX_NOTE);
  if (note !== undefined) entry.note = note;
  return { entry };
}

/**
 * Free text from people and third-party lists, as every such field of the system is checked: no control
 * character. A category or note reaches exports, logs, the console and terminals as it is: a newline forges a
 * line, an escape sequence repaints an operator's screen, and PostgreSQL text cannot store a NUL (the whole
 * import's staging would fail on it).
 */

/** An optional free-text field: undefined when absent or empty, false when not a string, too long or with a control character. */
function optionalText(v: unknown, max: number): string | undefined | false {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' && v.length <= max && !hasUnsafeTextCharacter(v) ? v : false;
}

function badText(field: string, max: number): LineResult {
  return lineError(
    BankListErrorCode.BadField,
    `${field} must be a string of at most ${max} characters without control characters`,
  );
}

export function parseJsonLine(text: string): LineResult {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return lineError(BankListErrorCode.BadSyntax, 'not valid JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return lineError(BankListErrorCode.BadSyntax, 'a JSONL line must be a JSON object');
  }
  const o = obj as Record<string, unknown>;
  return validateFields({
    signal: o.signal,
    value: o.value ?? o.hash,
    quality: o.quality,
    category: o.category,
    note: o.note,
  });
}

/** A CSV/TSV line's fields, in `columns` (a header's) or the default order, checked as an entry. */
export function fromFields(
  fields: string[],
  columns: Column[] | null,
  defaultSignal: Signal | undefined,
): LineResult {
  // Every key present from the start: one object shape for every line, whatever the columns.
  const f: Fields = {
    signal: undefined,
    value: undefined,
    quality: undefined,
    category: undefined,
    note: undefined,
  };
  let cols: readonly Column[];
  if (columns) cols = columns;
  else if (defaultSignal !== undefined && !SIGNAL_NAMES.has((fields[0] ?? '').toLowerCase())) {
    cols = COLUMNS.slice(1);
  } else cols = COLUMNS;
  if (fields.length > cols.length) {
    return lineError(
      BankListErrorCode.BadSyntax,
      `expected at most ${cols.length} columns, got ${fields.length}`,
    );
  }
  for (let i = 0; i < fields.length; i++) f[cols[i] as Column] = fields[i];
  // The free-text fields of a CSV/TSV export are defused for spreadsheets (`exportBankEntries`: a quote before a
  // leading =, +, -, @, tab or CR); that quote comes off here, so an export imports back to the same values.
  if (typeof f.category === 'string') f.category = restoreFormulaCell(f.category);
  if (typeof f.note === 'string') f.note = restoreFormulaCell(f.note);
  if (f.signal === undefined) f.signal = defaultSignal;
  if (f.value === undefined) return lineError(BankListErrorCode.BadSyntax, 'missing value column');
  return validateFields(f);
}
