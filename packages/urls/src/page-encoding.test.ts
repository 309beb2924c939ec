import { describe, expect, it } from 'vitest';
import { charsetParameter, decodePage, pageEncoding, prescanEncoding } from './page-encoding.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('pageEncoding: what a browser decodes a page with', () => {
  it('takes a byte order mark first, then the Content-Type, then a meta, else UTF-8', () => {
    const meta = '<meta charset="iso-2022-jp">';
    expect(pageEncoding(bytes(`\xef\xbb\xbf${meta}`), 'text/html; charset=iso-2022-jp')).toBe('utf-8');
    expect(pageEncoding(bytes(meta), 'text/html; charset=windows-1251')).toBe('windows-1251');
    expect(pageEncoding(bytes(meta), 'text/html; charset=no-such')).toBe('iso-2022-jp');
    expect(pageEncoding(bytes(meta), 'text/html')).toBe('iso-2022-jp');
    expect(pageEncoding(bytes('<p>hi</p>'), null)).toBe('utf-8');
    // Labels are the Encoding standard's: latin1 is windows-1252.
    expect(pageEncoding(bytes('<p>'), 'text/html;charset="latin1"')).toBe('windows-1252');
  });

  it('prescans as HTML does: comments and attribute values hide a meta, script content does not', () => {
    expect(prescanEncoding(bytes('<!-- <meta charset=iso-2022-jp> --><p>'))).toBeNull();
    expect(prescanEncoding(bytes('<div title="<meta charset=iso-2022-jp>"></div>'))).toBeNull();
    expect(prescanEncoding(bytes('<script>"<meta charset=iso-2022-jp>"</script>'))).toBe('iso-2022-jp');
    expect(
      prescanEncoding(bytes('<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=EUC-JP">')),
    ).toBe('euc-jp');
    // A content charset counts only with http-equiv content-type; the first of a repeated attribute counts.
    expect(prescanEncoding(bytes('<meta content="text/html; charset=euc-jp">'))).toBeNull();
    expect(prescanEncoding(bytes('<meta charset = "shift_jis" charset="euc-jp">'))).toBe('shift_jis');
    // A meta cannot switch to UTF-16; x-user-defined is windows-1252; unknown labels are passed over.
    expect(prescanEncoding(bytes('<meta charset="utf-16le">'))).toBe('utf-8');
    expect(prescanEncoding(bytes('<meta charset="x-user-defined">'))).toBe('windows-1252');
    expect(prescanEncoding(bytes('<meta charset="nope"><meta charset="gbk">'))).toBe('gbk');
    // Only the first 1,024 bytes are read; an unclosed tag ends the prescan.
    expect(prescanEncoding(bytes(`${' '.repeat(1024)}<meta charset="gbk">`))).toBeNull();
    expect(prescanEncoding(bytes('<div title="x'))).toBeNull();
  });

  it('reads a charset parameter as HTML does', () => {
    expect(charsetParameter('text/html; charset=UTF-8')).toBe('UTF-8');
    expect(charsetParameter("text/html;charset='big5' ")).toBe('big5');
    expect(charsetParameter('text/html; charset = "koi8-r"; x=y')).toBe('koi8-r');
    expect(charsetParameter('text/html; charset="unclosed')).toBeNull();
    expect(charsetParameter('text/html')).toBeNull();
  });

  it('decodes a page as the browser reads it, so an ISO-2022-JP escape cannot hide a tag', () => {
    const page = bytes('<meta charset="iso-2022-jp"><img s\x1b(Brc="https://x.example/a.jpg">');
    expect(decodePage(page, 'text/html')).toContain('<img src="https://x.example/a.jpg">');
  });
});
