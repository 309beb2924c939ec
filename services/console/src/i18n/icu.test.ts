import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { formatMessage, parseMessage } from './icu.js';
import { vi, type MessageKey } from './vi.js';

/** The argument names a message uses (`{name…`), from its parse. */
function argumentsOf(message: string): string[] {
  const names = new Set<string>();
  const walk = (parts: ReturnType<typeof parseMessage>) => {
    for (const p of parts) {
      if (typeof p === 'string') continue;
      names.add(p.name);
      if (p.kind === 'plural' || p.kind === 'select') for (const o of p.options.values()) walk(o);
    }
  };
  walk(parseMessage(message));
  return [...names].sort();
}

describe('ICU messages', () => {
  it('formats plurals by the locale: Vietnamese has one form, English one and other, exact matches first', () => {
    const m = '{n, plural, =0 {none} one {# order} other {# orders}}';
    expect(formatMessage('en-GB', m, { n: 0 })).toBe('none');
    expect(formatMessage('en-GB', m, { n: 1 })).toBe('1 order');
    expect(formatMessage('en-GB', m, { n: 1234 })).toBe('1,234 orders');
    expect(formatMessage('vi-VN', '{n, plural, other {# lệnh}}', { n: 1 })).toBe('1 lệnh');
    expect(formatMessage('vi-VN', '{n, plural, other {# lệnh}}', { n: 1234 })).toBe('1.234 lệnh');
    expect(formatMessage('vi-VN', m, { n: 1 })).toBe('1 orders');
  });

  it('formats arguments, numbers and selects, nested', () => {
    expect(formatMessage('en-GB', 'Hello {name}', { name: 'An' })).toBe('Hello An');
    expect(formatMessage('vi-VN', '{n, number} byte', { n: 12345.5 })).toBe('12.345,5 byte');
    const m = '{kind, select, takedown {{n, plural, one {# takedown} other {# takedowns}}} other {# other}}';
    expect(formatMessage('en-GB', m, { kind: 'takedown', n: 2 })).toBe('2 takedowns');
    expect(formatMessage('en-GB', m, { kind: 'blocking', n: 2 })).toBe('# other');
  });

  it('refuses malformed messages and missing values with a message that says where', () => {
    expect(() => parseMessage('{n, plural, one {x}}')).toThrow(/needs an other option/);
    expect(() => parseMessage('{n, date}')).toThrow(/unknown argument type date/);
    expect(() => parseMessage('open {brace')).toThrow(/at/);
    expect(() => parseMessage('a } b')).toThrow(/unmatched/);
    expect(() => formatMessage('en', 'Hi {name}')).toThrow(/\{name\} has no value/);
  });

  it('has every key in both catalogues, with the same arguments, and formats every entry', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
    for (const key of Object.keys(vi) as MessageKey[]) {
      const args = argumentsOf(vi[key]);
      expect(argumentsOf(en[key]), key).toEqual(args);
      const values = Object.fromEntries(args.map((a) => [a, 2]));
      for (const [locale, catalogue] of [
        ['vi-VN', vi],
        ['en-GB', en],
      ] as const) {
        const text = formatMessage(locale, catalogue[key], values);
        expect(text, `${locale} ${key}`).not.toMatch(/[{}]/);
        expect(text.trim(), `${locale} ${key}`).not.toBe('');
      }
    }
  });
});
