import { MatcherError, MatcherErrorCode } from './errors.js';
import { ExactHashSet } from './exact-set.js';
import { SIGNAL_HEX_LENGTH } from './bank-model.js';
import type { Signal } from './bank-model.js';
import {
  BankListErrorCode,
  SIGNAL_NAMES,
  fromFields,
  headerColumns,
  lineError,
  parseJsonLine,
  splitFields,
} from './bank-list-entry.js';
import type { BankListEntry, Column, LineResult } from './bank-list-entry.js';
import { splitLineBatches } from './bank-list-lines.js';
import type { BankListInput, RawLine } from './bank-list-lines.js';

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
      if (!fields) result = lineError(BankListErrorCode.BadSyntax, 'unbalanced quotes');
      else {
        if (firstData) {
          firstData = false;
          const header = headerColumns(fields);
          if (header === null) {
            return {
              lineNumber,
              error: {
                code: BankListErrorCode.BadSyntax,
                message: 'header names an unknown or repeated column, or lacks value',
              },
            };
          }
          if (header !== undefined) {
            columns = header;
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
        result = lineError(
          BankListErrorCode.MixedSignals,
          `${e.signal} is not accepted here (allowed: ${[...allowed].join(', ')})`,
        );
      } else if (options.rejectMixedSignals && firstSignal !== null && firstSignal !== e.signal) {
        result = lineError(BankListErrorCode.MixedSignals, `${e.signal} line in a ${firstSignal} list`);
      } else if (detect) {
        let d = seen.get(e.signal);
        if (!d) {
          const digestBytes = (SIGNAL_HEX_LENGTH[e.signal] / 2) as 16 | 20 | 32;
          d = { set: new ExactHashSet({ digestBytes, capacity: 1024 }), lines: [] };
          seen.set(e.signal, d);
        }
        const slot = d.set.addUnique(e.value);
        if (slot < 0) {
          result = lineError(BankListErrorCode.Duplicate, `duplicate of line ${d.lines[-1 - slot] ?? '?'}`);
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
