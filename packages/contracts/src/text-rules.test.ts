import { describe, expect, it } from 'vitest';
import {
  cutText,
  hasUnsafeMultilineCharacter,
  hasUnsafeTextCharacter,
  SAFE_TEXT_PATTERN,
} from './text-rules.js';

describe('one-line free text', () => {
  const safe = new RegExp(SAFE_TEXT_PATTERN, 'u');
  it('takes letters of every script, diacritics composed or not, emoji and their joiners', () => {
    for (const text of [
      'Nguyễn Văn A',
      'Nguye\u0302\u0303n',
      'شرطة',
      '👩‍💻 ok',
      'a\u200db',
      'tab-free "quotes" & <x>',
    ])
      expect([hasUnsafeTextCharacter(text), safe.test(text)], text).toEqual([false, true]);
  });
  it('refuses C0 and C1 controls, DEL and the bidi embeddings, overrides and isolates', () => {
    const unsafe = [
      '\u0000',
      '\t',
      '\n',
      '\u001b[31m',
      '\u007f',
      '\u0085',
      '\u009b',
      '\u202a',
      '\u202e',
      '\u2066',
      '\u2069',
    ];
    for (const c of unsafe)
      expect([hasUnsafeTextCharacter(`a${c}b`), safe.test(`a${c}b`)], JSON.stringify(c)).toEqual([
        true,
        false,
      ]);
    // "invoice_gpj.exe" shown as "invoice_exe.jpg": the override reverses what follows it.
    expect(hasUnsafeTextCharacter('invoice_\u202egpj.exe')).toBe(true);
  });
  it('in text of several lines, takes tab and line breaks and nothing else of that set', () => {
    expect(hasUnsafeMultilineCharacter('line one\r\n\tline two\n')).toBe(false);
    for (const c of ['\u0000', '\u000b', '\u000c', '\u001b', '\u007f', '\u009b', '\u202e', '\u2069'])
      expect(hasUnsafeMultilineCharacter(`a${c}b`), JSON.stringify(c)).toBe(true);
  });
});

describe('text cut to a length in UTF-16 units', () => {
  it('never keeps the first half of a character at the end', () => {
    expect(cutText('abc', 5)).toBe('abc');
    expect(cutText('abcdef', 3)).toBe('abc');
    expect(cutText('a\u{1F600}\u{1F600}', 3)).toBe('a\u{1F600}');
    expect(cutText('a\u{1F600}\u{1F600}', 4)).toBe('a\u{1F600}');
    expect(cutText('a\u{1F600}\u{1F600}', 5)).toBe('a\u{1F600}\u{1F600}');
  });
});
