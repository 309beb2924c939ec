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
    // Parsers read `https:///p/1` as https://p/1: the entry would list another address than its pattern reads.
    expect(code({ kind: 'url', pattern: 'https:///p/1' })).toBe('MOD_ERR_URL_INVALID');
    expect(code({ kind: 'prefix', pattern: '///p/' })).toBe('MOD_ERR_URL_INVALID');
    expect(code({ kind: 'url', pattern: 'x.example\\a' })).toBe('MOD_ERR_URL_INVALID');
  });

  it('refuses an entry dedicated to abuse whose host is a suffix others register names under', () => {
    // Dedicated means host-level: the ISPs' RPZ and domain list block the entry's host and every name below it,
    // whatever its kind. For `com` or `github.io` that is every .com site, every GitHub Pages site.
    const code = (e: object) => {
      const v = validateUrlListEntry({ dedicatedToAbuse: true, ...e });
      return v.ok ? 'ok' : v.code;
    };
    for (const refused of [
      { kind: 'host', pattern: 'com' },
      { kind: 'host', pattern: 'GitHub.IO.' },
      { kind: 'url', pattern: 'http://github.io/abuse.html' },
      { kind: 'prefix', pattern: 'blogspot.com/2026/' },
      { kind: 'url', pattern: 'https://co.uk/' },
    ])
      expect(code(refused), refused.pattern).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    // Below the suffix, an IP, or not dedicated (the URL-level entry lists that page, or that host only).
    expect(code({ kind: 'host', pattern: 'abuser.github.io' })).toBe('ok');
    expect(code({ kind: 'url', pattern: 'http://203.0.113.7/x' })).toBe('ok');
    expect(code({ kind: 'host', pattern: 'github.io', dedicatedToAbuse: false })).toBe('ok');
    expect(code({ kind: 'url', pattern: 'http://github.io/abuse.html', dedicatedToAbuse: false })).toBe('ok');
  });

  it('refuses an entry dedicated to abuse whose host is not a DNS name', () => {
    // The WHATWG parser takes these hosts; the RPZ cannot list them, and `*.com` in the domain list reads as
    // every .com name to a blocking system that takes `*` as a wildcard.
    const code = (e: object) => {
      const v = validateUrlListEntry({ dedicatedToAbuse: true, ...e });
      return v.ok ? 'ok' : v.code;
    };
    for (const refused of [
      { kind: 'domain', pattern: '*.com' },
      { kind: 'host', pattern: '*.example' },
      { kind: 'host', pattern: 'a"b.example' },
      { kind: 'url', pattern: 'http://x;$include.example/' },
      { kind: 'prefix', pattern: `${'a'.repeat(64)}.example/dir/` },
    ])
      expect(code(refused), refused.pattern).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'host', pattern: '_abuse.example' })).toBe('ok');
    expect(code({ kind: 'host', pattern: '[2001:db8::7]' })).toBe('ok');
    // A URL-level entry lists that page only, as a proxy sees it.
    expect(code({ kind: 'url', pattern: 'http://x;$include.example/', dedicatedToAbuse: false })).toBe('ok');
  });
});
