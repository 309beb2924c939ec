import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { MatcherError, MatcherErrorCode } from './errors.js';

/** Input: a byte/text stream (`Readable`, or async iterable of byte chunks), or async iterable of lines. */
export type BankListInput = Readable | AsyncIterable<string | Uint8Array>;

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
