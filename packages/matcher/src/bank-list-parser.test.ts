import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BankListErrorCode } from './bank-list-entry.js';
import { parseBankList, parseBankListBatches } from './bank-list-parser.js';
import type { BankListOptions, BankListRecord } from './bank-list-parser.js';

const PDQ = 'ab'.repeat(32);
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';

async function collect(
  input: Readable | AsyncIterable<string | Uint8Array>,
  options: BankListOptions,
): Promise<BankListRecord[]> {
  const out: BankListRecord[] = [];
  for await (const r of parseBankList(input, options)) out.push(r);
  return out;
}

const bytes = (s: string): Readable => Readable.from([Buffer.from(s, 'utf8')]);
const codes = (rs: BankListRecord[]): (string | number)[][] =>
  rs.map((r) => ('error' in r ? [r.lineNumber, r.error.code] : [r.lineNumber, r.entry.signal]));

describe('parseBankList', () => {
  it('parses CSV with BOM, CRLF, header, comments, blank lines, quotes and optional columns', async () => {
    const text = `\ufeffsignal,value,quality,category,note\r\n# comment\r\n\r\npdq,${PDQ.toUpperCase()},87,A,"a, quoted ""note"""\r\nmd5,${MD5}\r\nsha1,${SHA1},,B\r\n`;
    const rs = await collect(bytes(text), { format: 'csv' });
    expect(rs).toEqual([
      {
        lineNumber: 4,
        entry: { signal: 'pdq', value: PDQ, quality: 87, category: 'A', note: 'a, quoted "note"' },
      },
      { lineNumber: 5, entry: { signal: 'md5', value: MD5 } },
      { lineNumber: 6, entry: { signal: 'sha1', value: SHA1, category: 'B' } },
    ]);
  });

  it('parses TSV, a reordered header, and value-only lines with a default signal', async () => {
    const tsv = await collect(bytes(`hash\tsignal\n${MD5}\tmd5\n`), { format: 'tsv' });
    expect(tsv).toEqual([{ lineNumber: 2, entry: { signal: 'md5', value: MD5 } }]);
    const bare = await collect(bytes(`${PDQ},70\npdq,${'cd'.repeat(32)}\n`), {
      format: 'csv',
      defaultSignal: 'pdq',
    });
    expect(bare).toEqual([
      { lineNumber: 1, entry: { signal: 'pdq', value: PDQ, quality: 70 } },
      { lineNumber: 2, entry: { signal: 'pdq', value: 'cd'.repeat(32) } },
    ]);
  });

  it('takes off the quote an export put before a category or note starting as a formula, in CSV/TSV only', async () => {
    const csv = `pdq,${PDQ},,'=cat,"'=HYPERLINK(""http://x"",""click"")"\nmd5,${MD5},,''@x,'plain\n`;
    expect(await collect(bytes(csv), { format: 'csv' })).toEqual([
      {
        lineNumber: 1,
        entry: { signal: 'pdq', value: PDQ, category: '=cat', note: '=HYPERLINK("http://x","click")' },
      },
      { lineNumber: 2, entry: { signal: 'md5', value: MD5, category: "'@x", note: "'plain" } },
    ]);
    const tsv = await collect(bytes(`md5\t${MD5}\t\t'-1\t"'+x"\n`), { format: 'tsv' });
    expect(tsv).toEqual([
      { lineNumber: 1, entry: { signal: 'md5', value: MD5, category: '-1', note: '+x' } },
    ]);
    // JSON is not opened in a spreadsheet: its text is taken as it is.
    const jsonl = await collect(bytes(JSON.stringify({ signal: 'md5', value: MD5, note: "'=1" })), {
      format: 'jsonl',
    });
    expect(jsonl).toEqual([{ lineNumber: 1, entry: { signal: 'md5', value: MD5, note: "'=1" } }]);
  });

  it('refuses a category or note holding a control character, in every format', async () => {
    // A newline, tab, NUL or escape in free text would reach exports, logs and terminals as it is: a forged line
    // in a log, an ANSI sequence repainting an operator's screen.
    // A C1 CSI or a bidi override (a note that displays other than it is stored) likewise.
    const bad = [
      'line\nforged',
      'tab\there',
      'nul\u0000',
      'esc\u001b[2J',
      'del\u007f',
      'cr\r',
      'csi\u009b2J',
      'rlo\u202eA',
    ];
    const jsonl = bad.flatMap((text, i) => [
      JSON.stringify({ signal: 'md5', value: MD5.replace(/^../, `0${i}`), category: text }),
      JSON.stringify({ signal: 'md5', value: MD5.replace(/^../, `1${i}`), note: text }),
    ]);
    jsonl.push(JSON.stringify({ signal: 'md5', value: MD5, category: 'Loại A', note: 'ghi chú — “ok”' }));
    expect(codes(await collect(bytes(jsonl.join('\n')), { format: 'jsonl' }))).toEqual([
      ...jsonl.slice(0, -1).map((_, i) => [i + 1, BankListErrorCode.BadField]),
      [jsonl.length, 'md5'],
    ]);
    // A quoted CSV field carries what a line can: a tab, or an escape the quote defuses nothing of.
    const csv = `md5,${MD5},,"a\tb"\nmd5,${SHA1.slice(0, 32)},,"\u001b[31mred",\n`;
    expect(codes(await collect(bytes(csv), { format: 'csv' }))).toEqual([
      [1, BankListErrorCode.BadField],
      [2, BankListErrorCode.BadField],
    ]);
  });

  it('parses JSONL and reports non-object or invalid JSON lines', async () => {
    const text = [
      JSON.stringify({ signal: 'pdq', value: PDQ, quality: 55, category: 'C' }),
      '[1,2]',
      '{"signal": "md5", ',
      JSON.stringify({ signal: 'md5', hash: MD5, note: 'alias' }),
    ].join('\n');
    expect(codes(await collect(bytes(text), { format: 'jsonl' }))).toEqual([
      [1, 'pdq'],
      [2, BankListErrorCode.BadSyntax],
      [3, BankListErrorCode.BadSyntax],
      [4, 'md5'],
    ]);
  });

  it('reports every malformed line with its number and keeps going', async () => {
    const lines = [
      `pdq,${PDQ.slice(0, 63)}z`, // 1 bad hex
      `pdq,${PDQ}00`, // 2 wrong length
      `md5,${PDQ}`, // 3 wrong length for md5
      `phash,${PDQ}`, // 4 unknown signal
      `pdq,${PDQ},101`, // 5 bad quality
      `md5,${MD5},50`, // 6 quality on md5
      `pdq,${PDQ},1,A,note,extra`, // 7 too many columns
      `pdq,"${PDQ}`, // 8 unbalanced quote
      `pdq,${PDQ}`, // 9 ok
      `PDQ,${PDQ.toUpperCase()}`, // 10 duplicate of 9
      `pdq,${PDQ},,${'x'.repeat(101)}`, // 11 category too long
    ];
    const rs = await collect(bytes(lines.join('\n')), { format: 'csv' });
    expect(codes(rs)).toEqual([
      [1, BankListErrorCode.BadHex],
      [2, BankListErrorCode.BadLength],
      [3, BankListErrorCode.BadLength],
      [4, BankListErrorCode.BadSignal],
      [5, BankListErrorCode.BadQuality],
      [6, BankListErrorCode.BadQuality],
      [7, BankListErrorCode.BadSyntax],
      [8, BankListErrorCode.BadSyntax],
      [9, 'pdq'],
      [10, BankListErrorCode.Duplicate],
      [11, BankListErrorCode.BadField],
    ]);
    const dup = rs[9];
    expect(dup && 'error' in dup ? dup.error.message : '').toContain('line 9');
  });

  it('rejects mixed signal types when asked to, and signals outside the allowed set', async () => {
    const text = `pdq,${PDQ}\nmd5,${MD5}\nsha1,${SHA1}\n`;
    expect(codes(await collect(bytes(text), { format: 'csv', rejectMixedSignals: true }))).toEqual([
      [1, 'pdq'],
      [2, BankListErrorCode.MixedSignals],
      [3, BankListErrorCode.MixedSignals],
    ]);
    expect(codes(await collect(bytes(text), { format: 'csv', allowedSignals: ['md5', 'sha1'] }))).toEqual([
      [1, BankListErrorCode.MixedSignals],
      [2, 'md5'],
      [3, 'sha1'],
    ]);
  });

  it('splits lines across arbitrary chunk boundaries and reports invalid UTF-8', async () => {
    const text = Buffer.from(`md5,${MD5}\r\nsha1,${SHA1}\nmd5,\xff\n`, 'latin1');
    const chunks = Array.from(text, (b) => Uint8Array.of(b));
    expect(codes(await collect(Readable.from(chunks), { format: 'csv' }))).toEqual([
      [1, 'md5'],
      [2, 'sha1'],
      [3, BankListErrorCode.BadEncoding],
    ]);
  });

  it('gives the same records whatever the chunking: whole, random cuts, byte by byte, batched', async () => {
    const long = `md5,${'0'.repeat(200)}`;
    const text = [
      '\ufeffsignal,value,quality,category,note',
      `pdq,${PDQ},90,A,plain`,
      `md5,${MD5},,B,caf\u00e9 na\u00efve`, // UTF-8 beyond ASCII in an otherwise ASCII list
      '',
      `sha1,${SHA1.toUpperCase()},,,\r`,
      long,
      `md5,${MD5}`,
      `pdq,${'cd'.repeat(32)},101`,
      '# comment',
      `pdq,${'ef'.repeat(32)},7,"C, quoted","say ""hi"""`,
    ].join('\r\n');
    const buf = Buffer.from(text, 'utf8');
    const options: BankListOptions = { format: 'csv', maxLineBytes: 100 };
    const whole = await collect(Readable.from([buf]), options);
    expect(codes(whole)).toEqual([
      [2, 'pdq'],
      [3, 'md5'],
      [5, 'sha1'],
      [6, BankListErrorCode.LineTooLong],
      [7, BankListErrorCode.Duplicate],
      [8, BankListErrorCode.BadQuality],
      [10, 'pdq'],
    ]);
    expect(whole[1]).toMatchObject({ entry: { note: 'caf\u00e9 na\u00efve', category: 'B' } });
    expect(whole[2]).toMatchObject({ entry: { value: SHA1 } });
    expect(whole[3]).toMatchObject({ error: { message: `line of ${long.length + 1} bytes exceeds 100` } });
    expect(whole[6]).toMatchObject({ entry: { quality: 7, category: 'C, quoted', note: 'say "hi"' } });

    let seed = 7;
    const cuts: Buffer[] = [];
    for (let at = 0; at < buf.length; ) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % 97);
      cuts.push(buf.subarray(at, at + n));
      at += n;
    }
    expect(await collect(Readable.from(cuts), options)).toEqual(whole);
    expect(await collect(Readable.from(Array.from(buf, (b) => Uint8Array.of(b))), options)).toEqual(whole);
    const batched: BankListRecord[] = [];
    for await (const batch of parseBankListBatches(Readable.from(cuts), options)) {
      expect(batch.length).toBeGreaterThan(0);
      batched.push(...batch);
    }
    expect(batched).toEqual(whole);
  });

  it('treats strings of a plain async iterable as lines', async () => {
    async function* lines(): AsyncGenerator<string> {
      await Promise.resolve();
      yield '\ufeffsignal,value';
      yield `md5,${MD5}`;
      yield '';
      yield `sha1,${SHA1}`;
    }
    expect(codes(await collect(lines(), { format: 'csv' }))).toEqual([
      [2, 'md5'],
      [4, 'sha1'],
    ]);
  });

  it('skips a 2 GB line without buffering it and parses the next line', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x61); // reused: the parser must not keep it
    const total = 2 ** 31;
    async function* source(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      yield Buffer.from(`md5,${MD5}\npdq,`);
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
      yield Buffer.from(`\nsha1,${SHA1}\n`);
    }
    const rssBefore = process.memoryUsage().rss;
    const rs = await collect(source(), { format: 'csv' });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 2 ** 20);
    expect(codes(rs)).toEqual([
      [1, 'md5'],
      [2, BankListErrorCode.LineTooLong],
      [3, 'sha1'],
    ]);
    const long = rs[1];
    expect(long && 'error' in long ? long.error.message : '').toContain(String(total + 4));
  });
});
