import { describe, expect, it } from 'vitest';
import { ContractError, createCodec } from './index.js';
import { ClosedObject, SafeText, Text } from './schema-parts.js';

const codec = createCodec('test.v1', ClosedObject({ id: Text({ maxLength: 8 }) }));

describe('createCodec', () => {
  it('returns the value typed when it fits, and round-trips it as UTF-8 JSON', () => {
    expect(codec.parse({ id: 'abc' })).toEqual({ id: 'abc' });
    expect(codec.decode(codec.encode({ id: 'Việt' }))).toEqual({ id: 'Việt' });
  });

  it('names at most five problems, however many the value has', () => {
    const hostile: Record<string, unknown> = { id: 'x'.repeat(9) };
    for (let i = 0; i < 10_000; i++) hostile[`extra${i}`] = i;
    let error: unknown;
    try {
      codec.parse(hostile);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ContractError);
    const { code, message } = error as ContractError;
    expect(code).toBe('MOD_ERR_CONTRACT_INVALID');
    expect(message.startsWith('test.v1: ')).toBe(true);
    expect(message.split('; ')).toHaveLength(5);
  });

  it('refuses empty, non-JSON and NUL-carrying messages with the contract code', () => {
    for (const bytes of [
      null,
      Buffer.alloc(0),
      Buffer.from('{'),
      Buffer.from(JSON.stringify({ id: 'a\u0000' })),
    ])
      expect(() => codec.decode(bytes)).toThrow(ContractError);
  });

  it('refuses half of a surrogate pair, as JSON escapes it, and takes whole pairs', () => {
    for (const text of ['\\ud800', 'a\\udc00', '\\ud83d\\ud83d', '\\ude00\\ud83d'])
      expect(() => codec.decode(Buffer.from(`{"id":"${text}"}`)), text).toThrow(ContractError);
    expect(codec.decode(Buffer.from('{"id":"\\ud83d\\ude00 ok"}'))).toEqual({ id: '\u{1f600} ok' });
  });

  it("holds a partner's text to what the API takes: no control or bidi character", () => {
    const safe = createCodec('safe.v1', ClosedObject({ ref: SafeText({ maxLength: 40 }) }));
    for (const ref of ['a\nb', 'tab\t', '\u009b31m', 'x\u202ey', '\u2066', 'a\u0000', '\ud800'])
      expect(() => safe.parse({ ref }), JSON.stringify(ref)).toThrow(ContractError);
    expect(safe.parse({ ref: 'Việt Nam \u{1f600} https://a.example/x?y=1' })).toBeTruthy();
  });
});
