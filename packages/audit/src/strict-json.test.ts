import { describe, expect, it } from 'vitest';
import { duplicateJsonKey, parseStrictJson } from './strict-json.js';

describe('strict JSON (no key twice in one object)', () => {
  it('finds a key held twice, as decoded, at any depth', () => {
    expect(duplicateJsonKey('{"a":1,"a":2}')).toBe('a');
    expect(duplicateJsonKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(duplicateJsonKey('{"x":[{"k":1},{"k":2,"k" : 3}]}')).toBe('k');
    expect(() => parseStrictJson('{"s":{"t":1},"s":{}}')).toThrow(
      expect.objectContaining({ code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED' }),
    );
  });

  it('accepts the same key in different objects, and keys or colons inside string values', () => {
    const text = '{"a":{"a":"a:"},"b":["a","a"],"c":"{\\"a\\":1,\\"a\\":2}","d":{"a":"\\\\"}}';
    expect(duplicateJsonKey(text)).toBeNull();
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    expect(() => parseStrictJson('{ nope')).toThrow(
      expect.objectContaining({ code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED' }),
    );
  });
});
