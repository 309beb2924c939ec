import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson, parseCanonicalJson } from './canonical.js';
import { codeOf } from './code-of.test-helper.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}',
    );
  });

  it('orders keys by UTF-16 code units (RFC 8785 3.2.3 example)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the key order from the text: Object.keys would list the integer-like key '1' first.
    const keys = [...canonicalJson(value).matchAll(/"([^"]*)":/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    );
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('writes numbers and strings the ECMAScript way, UTF-8 encoded', () => {
    expect(canonicalJson([-0, 1e21, 0.1, 5e-7, 'é\n"\u0001'])).toBe('[0,1e+21,0.1,5e-7,"é\\n\\"\\u0001"]');
    expect([...canonicalBytes('é')]).toEqual([0x22, 0xc3, 0xa9, 0x22]);
  });

  it.each([
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['undefined value', { a: undefined }],
    ['top-level undefined', undefined],
    ['bigint', { a: 1n }],
    ['byte array', { a: new Uint8Array([1, 2]) }],
    ['Buffer', { a: Buffer.from('x') }],
    ['Date', { a: new Date(0) }],
    ['function', { a: () => 1 }],
    ['sparse array', new Array<number>(3)],
    ['lone surrogate', { a: '\ud800' }],
    ['too deep', JSON.parse('['.repeat(20) + ']'.repeat(20)) as unknown],
  ])('rejects %s', (_, value) => {
    expect(codeOf(() => canonicalJson(value))).toBe('MOD_ERR_AUDIT_NOT_CANONICAL');
  });
});

describe('parseCanonicalJson', () => {
  it('round-trips canonical text', () => {
    const text = canonicalJson({ z: [1, 'two'], a: null });
    expect(canonicalJson(parseCanonicalJson(text))).toBe(text);
  });

  it.each([
    ['whitespace', '{"a": 1}'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['duplicate keys', '{"a":1,"a":1}'],
    ['re-encoded number', '{"a":1.0}'],
    ['escaped ASCII', '{"a":"\\u0061"}'],
    ['not JSON', '{"a":'],
  ])('rejects %s', (_, text) => {
    expect(codeOf(() => parseCanonicalJson(text))).toBe('MOD_ERR_AUDIT_NOT_CANONICAL');
  });
});
