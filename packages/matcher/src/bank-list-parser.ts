import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { hexNibble } from './bits.js';
import { MatcherError, MatcherErrorCode } from './errors.js';
import { ExactHashSet } from './exact-set.js';
import { SIGNAL_HEX_LENGTH, Signal } from './bank-model.js';

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
  /** Category or note is too long or not a string. */
  BadField: 'MOD_ERR_MATCHER_LIST_BAD_FIELD',
  /** The signal is not in `allowedSignals`, or differs from the file's first signal with `rejectMixedSignals`. */
  MixedSignals: 'MOD_ERR_MATCHER_LIST_MIXED_SIGNALS',
  /** Same signal and value as an earlier line (named in the message). */
  Duplicate: 'MOD_ERR_MATCHER_LIST_DUPLICATE',
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

/** One record per non-blank, non-comment, non-header line, numbered from 1 as in the file. */
export type BankListRecord =
  | { lineNumber: number; entry: BankListEntry }
  | { lineNumber: number; error: { code: BankListErrorCode; message: string } };

export type BankListFormat = 'csv' | 'tsv' | 'jsonl';

export interface BankListOptions {
  format: BankListFormat;
  /** Signal of lines that carry only `value[,quality][,category][,note]` (first field not a signal name). */
  defaultSignal?: Signal;
  /** Longest accepted line in bytes (longer lines are skipped, streamed, never buffered). Default 8192. */
  maxLineBytes?: number;
  /** Only these signals are accepted (e.g. the bank's signal types). Default: all. */
  allowedSignals?: readonly Signal[];
  /** Reject lines whose signal differs from the first valid line's. Default false. */
  rejectMixedSignals?: boolean;
  /**
   * Report repeated (signal, value) pairs. Exact, in memory: every digest and its line are kept (~90 bytes a
   * line, ~5 GB for 60M lines). Default true. The bank importer turns it off and has the database find them
   * (`importBankEntries`), so its memory does not grow with the list.
   */
  detectDuplicates?: boolean;
}

/** Input: a byte/text stream (`Readable`, or async iterable of byte chunks), or async iterable of lines. */
export type BankListInput = Readable | AsyncIterable<string | Uint8Array>;

const MAX_CATEGORY = 100;
const MAX_NOTE = 1000;
const SIGNAL_NAMES = new Set<string>(Object.values(Signal));
const COLUMNS = ['signal', 'value', 'quality', 'category', 'note'] as const;
type Column = (typeof COLUMNS)[number];
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

/** One line of a list as split from a stream: its text, or why it has none. */
export type RawLine =
  | { lineNumber: number; text: string }
  | { lineNumber: number; tooLongBytes: number }
  | { lineNumber: number; badEncoding: true };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a stream into lines without ever holding more than `maxLineBytes` of one line: a 2 GB line is
 * counted and skipped as it streams by. Handles CRLF and a UTF-8 BOM. Strings from a non-`Readable`
 * iterable end a line at their end (they are lines, as from readline); bytes are arbitrary chunks.
 */
export async function* splitLines(input: BankListInput, maxLineBytes: number): AsyncGenerator<RawLine> {
  for await (const batch of splitLineBatches(input, maxLineBytes)) yield* batch;
}

/**
 * {@link splitLines}, one batch of lines per input chunk: the lines of a chunk that is plain ASCII (what hash
 * lists are) are decoded with one call and split in one pass, and the consumer pays for one await per chunk
 * rather than per line. Lines that span chunks, hold other UTF-8 or are too long take the careful path.
 */
export async function* splitLineBatches(
  input: BankListInput,
  maxLineBytes: number,
): AsyncGenerator<RawLine[]> {
  const isStream = input instanceof Readable;
  let parts: Uint8Array[] = [];
  let held = 0;
  let tooLong = 0;
  let lineNumber = 0;

  const finish = (): RawLine => {
    lineNumber++;
    if (tooLong > 0) {
      const out: RawLine = { lineNumber, tooLongBytes: tooLong };
      tooLong = 0;
      return out;
    }
    let bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, held);
    parts = [];
    held = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let start = 0;
    if (lineNumber === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
      start = 3;
    bytes = bytes.subarray(start, end);
    try {
      let text = decoder.decode(bytes);
      if (lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      return { lineNumber, text };
    } catch {
      return { lineNumber, badEncoding: true };
    }
  };

  const take = (seg: Uint8Array): void => {
    if (seg.length === 0) return;
    if (tooLong > 0 || held + seg.length > maxLineBytes) {
      tooLong = (tooLong > 0 ? tooLong : held) + seg.length;
      parts = [];
      held = 0;
      return;
    }
    // Copy: the producer may reuse its chunk buffer.
    parts.push(Uint8Array.prototype.slice.call(seg));
    held += seg.length;
  };

  /** Whole lines `buf[from, to)` (newline-separated, the last one ending at `to`), none of them carried over. */
  const wholeLines = (buf: Uint8Array, from: number, to: number, out: RawLine[]): void => {
    const region = buf.subarray(from, to);
    if (isAscii(region)) {
      // ASCII: one byte per character, so lengths are byte counts; no BOM can be here.
      const lines = Buffer.from(region.buffer, region.byteOffset, region.length)
        .toString('latin1')
        .split('\n');
      for (const line of lines) {
        lineNumber++;
        if (line.length > maxLineBytes) out.push({ lineNumber, tooLongBytes: line.length });
        else
          out.push({
            lineNumber,
            text: line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line,
          });
      }
      return;
    }
    let pos = from;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0 || nl >= to) break;
      take(buf.subarray(pos, nl));
      out.push(finish());
      pos = nl + 1;
    }
    take(buf.subarray(pos, to));
    out.push(finish());
  };

  for await (const chunk of input as AsyncIterable<unknown>) {
    let buf: Uint8Array;
    if (typeof chunk === 'string') buf = Buffer.from(chunk, 'utf8');
    else if (chunk instanceof Uint8Array) buf = chunk;
    else throw new MatcherError(MatcherErrorCode.BadArgument, 'bank list chunks must be strings or bytes');
    const out: RawLine[] = [];
    let pos = 0;
    const last = buf.lastIndexOf(0x0a);
    if (last >= 0) {
      if (held > 0 || tooLong > 0 || lineNumber === 0) {
        // The line carried over from the previous chunk (or the first line, which may hold a BOM).
        const nl = buf.indexOf(0x0a);
        take(buf.subarray(0, nl));
        out.push(finish());
        pos = nl + 1;
      }
      if (last >= pos) wholeLines(buf, pos, last, out);
      pos = last + 1;
    }
    take(buf.subarray(pos));
    // A string element is a whole line (readline style) unless it already ended with its newline.
    if (!isStream && typeof chunk === 'string' && !(buf.length > 0 && buf[buf.length - 1] === 0x0a))
      out.push(finish());
    if (out.length > 0) yield out;
  }
  if (held > 0 || tooLong > 0) yield [finish()];
}

/** Splits one CSV/TSV line into fields; double quotes (RFC 4180, "" escapes) within one line. Null = bad quotes. */
function splitFields(line: string, sep: string): string[] | null {
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
type LineResult = { entry: BankListEntry } | { error: { code: BankListErrorCode; message: string } };

function err(code: BankListErrorCode, message: string): LineResult {
  return { error: { code, message } };
}

function validateFields(f: Fields): LineResult {
  const signal = f.signal;
  if (typeof signal !== 'string' || !SIGNAL_NAMES.has(signal.toLowerCase())) {
    return err(BankListErrorCode.BadSignal, `unknown signal ${JSON.stringify(String(signal)).slice(0, 40)}`);
  }
  const sig = signal.toLowerCase() as Signal;
  const value = f.value;
  const kind = typeof value === 'string' ? hexKind(value) : 0;
  if (typeof value !== 'string' || kind === 0)
    return err(BankListErrorCode.BadHex, `${sig} value is not hex`);
  const len = SIGNAL_HEX_LENGTH[sig];
  if (value.length !== len) {
    return err(BankListErrorCode.BadLength, `${sig} value must be ${len} hex digits, got ${value.length}`);
  }
  const entry: BankListEntry = { signal: sig, value: kind === 2 ? value.toLowerCase() : value };
  const q = f.quality;
  if (q !== undefined && q !== '' && q !== null) {
    const n = typeof q === 'string' && /^\d{1,3}$/.test(q) ? Number(q) : q;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) {
      return err(BankListErrorCode.BadQuality, 'quality must be an integer in 0..100');
    }
    if (sig !== 'pdq') return err(BankListErrorCode.BadQuality, `quality applies to pdq only, not ${sig}`);
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

/** An optional free-text field: undefined when absent or empty, false when not a string or too long. */
function optionalText(v: unknown, max: number): string | undefined | false {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' && v.length <= max ? v : false;
}

function badText(field: string, max: number): LineResult {
  return err(BankListErrorCode.BadField, `${field} must be a string of at most ${max} characters`);
}

function parseJsonLine(text: string): LineResult {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return err(BankListErrorCode.BadSyntax, 'not valid JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return err(BankListErrorCode.BadSyntax, 'a JSONL line must be a JSON object');
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

/**
 * Streams a bank list (CSV, TSV or JSONL; see README) and yields one record per data line: the validated
 * entry or a per-line error with a stable code. Blank lines and `#` comments are skipped; a CSV/TSV header
 * line (first field `signal`/`type`/`value`/`hash`) is skipped and may reorder the columns. Memory stays
 * bounded by `maxLineBytes`, plus the duplicate detector's, which grows with the list (`detectDuplicates`).
 */
export async function* parseBankList(
  input: BankListInput,
  options: BankListOptions,
): AsyncGenerator<BankListRecord> {
  for await (const batch of parseBankListBatches(input, options)) yield* batch;
}

/**
 * {@link parseBankList}, one batch of records per input chunk (the same records in the same order): for
 * consumers of millions of lines, which then pay for one await per chunk rather than per line.
 */
export async function* parseBankListBatches(
  input: BankListInput,
  options: BankListOptions,
): AsyncGenerator<BankListRecord[]> {
  const { format } = options;
  if (format !== 'csv' && format !== 'tsv' && format !== 'jsonl') {
    throw new MatcherError(MatcherErrorCode.BadArgument, `format must be csv, tsv or jsonl`);
  }
  const maxLineBytes = options.maxLineBytes ?? 8192;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 64) {
    throw new MatcherError(MatcherErrorCode.BadArgument, 'maxLineBytes must be an integer >= 64');
  }
  const defaultSignal = options.defaultSignal;
  if (defaultSignal !== undefined && !SIGNAL_NAMES.has(defaultSignal)) {
    throw new MatcherError(MatcherErrorCode.BadArgument, `unknown defaultSignal ${String(defaultSignal)}`);
  }
  const allowed = options.allowedSignals ? new Set<string>(options.allowedSignals) : null;
  const sep = format === 'tsv' ? '\t' : ',';
  const detect = options.detectDuplicates ?? true;
  const seen = new Map<Signal, { set: ExactHashSet; lines: number[] }>();
  let columns: Column[] | null = null;
  let firstData = true;
  let firstSignal: Signal | null = null;

  const parseLine = (raw: RawLine): BankListRecord | null => {
    const { lineNumber } = raw;
    if ('tooLongBytes' in raw) {
      return {
        lineNumber,
        error: {
          code: BankListErrorCode.LineTooLong,
          message: `line of ${raw.tooLongBytes} bytes exceeds ${maxLineBytes}`,
        },
      };
    }
    if ('badEncoding' in raw) {
      return {
        lineNumber,
        error: { code: BankListErrorCode.BadEncoding, message: 'line is not valid UTF-8' },
      };
    }
    const text = raw.text.trim();
    if (text === '' || text.startsWith('#')) return null;

    let result: LineResult;
    if (format === 'jsonl') result = parseJsonLine(text);
    else {
      const fields = splitFields(raw.text, sep);
      if (!fields) result = err(BankListErrorCode.BadSyntax, 'unbalanced quotes');
      else {
        if (firstData) {
          firstData = false;
          const names = fields.map((x) => COLUMN_ALIASES[x.toLowerCase()]);
          if (names[0] !== undefined) {
            if (
              names.some((x) => x === undefined) ||
              new Set(names).size !== names.length ||
              !names.includes('value')
            ) {
              return {
                lineNumber,
                error: {
                  code: BankListErrorCode.BadSyntax,
                  message: 'header names an unknown or repeated column, or lacks value',
                },
              };
            }
            columns = names as Column[];
            return null;
          }
        }
        result = fromFields(fields, columns, defaultSignal);
      }
    }
    firstData = false;
    if ('entry' in result) {
      const e = result.entry;
      if (allowed && !allowed.has(e.signal)) {
        result = err(
          BankListErrorCode.MixedSignals,
          `${e.signal} is not accepted here (allowed: ${[...allowed].join(', ')})`,
        );
      } else if (options.rejectMixedSignals && firstSignal !== null && firstSignal !== e.signal) {
        result = err(BankListErrorCode.MixedSignals, `${e.signal} line in a ${firstSignal} list`);
      } else if (detect) {
        let d = seen.get(e.signal);
        if (!d) {
          const digestBytes = (SIGNAL_HEX_LENGTH[e.signal] / 2) as 16 | 20 | 32;
          d = { set: new ExactHashSet({ digestBytes, capacity: 1024 }), lines: [] };
          seen.set(e.signal, d);
        }
        const slot = d.set.addUnique(e.value);
        if (slot < 0) {
          result = err(BankListErrorCode.Duplicate, `duplicate of line ${d.lines[-1 - slot] ?? '?'}`);
        } else d.lines[slot] = lineNumber;
      }
      if ('entry' in result) firstSignal ??= result.entry.signal;
    }
    return 'entry' in result ? { lineNumber, entry: result.entry } : { lineNumber, error: result.error };
  };

  for await (const lines of splitLineBatches(input, maxLineBytes)) {
    const out: BankListRecord[] = [];
    for (const raw of lines) {
      const record = parseLine(raw);
      if (record !== null) out.push(record);
    }
    if (out.length > 0) yield out;
  }
}

function fromFields(
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
    return err(BankListErrorCode.BadSyntax, `expected at most ${cols.length} columns, got ${fields.length}`);
  }
  for (let i = 0; i < fields.length; i++) f[cols[i] as Column] = fields[i];
  if (f.signal === undefined) f.signal = defaultSignal;
  if (f.value === undefined) return err(BankListErrorCode.BadSyntax, 'missing value column');
  return validateFields(f);
}
