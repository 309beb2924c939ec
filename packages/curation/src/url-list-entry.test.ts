import { describe, expect, it } from 'vitest';
import { CurationErrorCode, validateUrlListEntry } from './index.js';

describe('URL-list entry validation', () => {
  it('normalises with the URL normaliser and gives each bad entry a stable code', () => {
    const ok = validateUrlListEntry({ kind: 'url', pattern: ' HTTP://Abuse.EXAMPLE:80/a/../b.html#x ' });
    expect(ok).toEqual({
      ok: true,
      entry: {
        kind: 'url',
        pattern: 'HTTP://Abuse.EXAMPLE:80/a/../b.html#x',
        canonicalKey: 'abuse.example/b.html',
        dedicatedToAbuse: false,
        block: true,
        category: null,
        note: null,
      },
    });
    const code = (e: unknown) => {
      const v = validateUrlListEntry(e);
      return v.ok ? 'ok' : v.code;
    };
    expect(code({ kind: 'url', pattern: 'ftp://x.example/a' })).toBe('MOD_ERR_URL_SCHEME');
    expect(code({ kind: 'url', pattern: 'http://exa mple.org/' })).toBe('MOD_ERR_URL_INVALID');
    expect(code({ kind: 'url', pattern: `x.example/${'a'.repeat(9000)}` })).toBe('MOD_ERR_URL_TOO_LONG');
    expect(code({ kind: 'domain', pattern: 'co.uk' })).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'host', pattern: 'x.example/path' })).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'prefix', pattern: 'x.example/dir?q=1' })).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'regex', pattern: 'x.example' })).toBe(CurationErrorCode.UrlEntryInvalid);
    expect(code({ kind: 'url', pattern: 'x.example/', extra: 1 })).toBe(CurationErrorCode.UrlEntryInvalid);
    expect(code({ kind: 'url', pattern: 'x.example/', dedicatedToAbuse: 'yes' })).toBe(
      CurationErrorCode.UrlEntryInvalid,
    );
    expect(code({ kind: 'url', pattern: 'x.example/', category: 'a\nb' })).toBe(
      CurationErrorCode.UrlEntryInvalid,
    );
    expect(code('x.example')).toBe(CurationErrorCode.UrlEntryInvalid);
  });
});
