import { describe, expect, it } from 'vitest';
import { UrlErrorCode } from './errors.js';
import {
  MAX_URL_LENGTH,
  normalizePattern,
  normalizePercentEncoding,
  normalizeUrl,
  normalizeUrlOrThrow,
  writtenUrlProblem,
} from './normalize.js';

const cases: ReadonlyArray<readonly [input: string, href: string]> = [
  ['HTTP://EXAMPLE.COM/', 'http://example.com/'],
  ['http://example.com', 'http://example.com/'],
  ['https://Example.COM:443/a', 'https://example.com/a'],
  ['http://example.com:80/a', 'http://example.com/a'],
  ['http://example.com:0080/a', 'http://example.com/a'],
  ['https://example.com:80/a', 'https://example.com:80/a'],
  ['http://example.com:8443/', 'http://example.com:8443/'],
  ['http://example.com./a', 'http://example.com/a'],
  ['http://example.com../a', 'http://example.com/a'],
  ['http://user:pw@example.com/a', 'http://example.com/a'],
  ['http://example.com/a#frag', 'http://example.com/a'],
  ['http://example.com/a?', 'http://example.com/a'],
  ['http://example.com/a?b=1#x', 'http://example.com/a?b=1'],
  ['http://example.com/a/./b/../c', 'http://example.com/a/c'],
  ['http://example.com/a/%2e%2E/b', 'http://example.com/b'],
  ['http://example.com/../../a', 'http://example.com/a'],
  ['http://example.com/%7e%41%2d%5F', 'http://example.com/~A-_'],
  ['http://example.com/%2f%3a%c3%a4', 'http://example.com/%2F:%C3%A4'],
  ['http://example.com/it%27s%7Chere%5b1%5D%21%40%2B', "http://example.com/it's|here[1]!@+"],
  ['http://example.com/a%3Bb%3Fc%23d%5C%25', 'http://example.com/a%3Bb%3Fc%23d%5C%25'],
  ['http://example.com/a?q=%7C%7b%7D%5E%60%5C', 'http://example.com/a?q=|{}^`\\'],
  ['http://example.com/a?q=%2F%3F%3A%21%40%5B', 'http://example.com/a?q=%2F%3F%3A%21%40%5B'],
  ['http://example.com/a?q=%26%3D%2B%3B%27%20', 'http://example.com/a?q=%26%3D%2B%3B%27%20'],
  ["http://example.com/a?q='", 'http://example.com/a?q=%27'],
  ['http://example.com/%zz%', 'http://example.com/%25zz%25'],
  ['http://example.com/a?q=%7e%2b', 'http://example.com/a?q=~%2B'],
  ['http://example.com/ä b', 'http://example.com/%C3%A4%20b'],
  ['https://bücher.de/', 'https://xn--bcher-kva.de/'],
  ['https://BÜCHER.de./', 'https://xn--bcher-kva.de/'],
  ['http://xn--bcher-kva.de/', 'http://xn--bcher-kva.de/'],
  ['http://ex%41mple.com/', 'http://example.com/'],
  ['http:\\\\example.com\\a\\b', 'http://example.com/a/b'],
  ['  http://example.com/a  ', 'http://example.com/a'],
  ['http://2130706433/', 'http://127.0.0.1/'],
  ['http://0x7f000001/', 'http://127.0.0.1/'],
  ['http://017700000001/', 'http://127.0.0.1/'],
  ['http://0x7f.1/', 'http://127.0.0.1/'],
  ['http://127.1/', 'http://127.0.0.1/'],
  ['http://0x7f.1./', 'http://127.0.0.1/'],
  ['http://192.168.000.001/', 'http://192.168.0.1/'],
  ['http://[0:0:0:0:0:0:0:1]:80/', 'http://[::1]/'],
  ['http://[2001:DB8:0:0:0:0:0:1]/', 'http://[2001:db8::1]/'],
  ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/'],
];

describe('normalizeUrl', () => {
  it.each(cases)('%s -> %s', (input, href) => {
    const result = normalizeUrl(input);
    expect(result.ok ? result.url.href : result.error.code).toBe(href);
  });

  it('exposes host, port, registrable domain, path, query and a scheme-less key', () => {
    const url = normalizeUrlOrThrow('https://User@A.B.Example.CO.UK:8443/x/../p%61th?q=1#f');
    expect(url).toEqual({
      href: 'https://a.b.example.co.uk:8443/path?q=1',
      key: 'a.b.example.co.uk:8443/path?q=1',
      scheme: 'https',
      host: 'a.b.example.co.uk',
      hostType: 'domain',
      port: 8443,
      registrableDomain: 'example.co.uk',
      path: '/path',
      query: 'q=1',
    });
  });

  it('classifies IP hosts and gives them no registrable domain', () => {
    const v4 = normalizeUrlOrThrow('http://10.1.2.3/');
    expect([v4.hostType, v4.registrableDomain]).toEqual(['ipv4', null]);
    const v6 = normalizeUrlOrThrow('http://[fe80::1]/');
    expect([v6.hostType, v6.host]).toEqual(['ipv6', '[fe80::1]']);
    expect(normalizeUrlOrThrow('http://1.2.3.4.example/').hostType).toBe('domain');
  });

  it('gives http and https the same key', () => {
    expect(normalizeUrlOrThrow('http://example.com/a').key).toBe(
      normalizeUrlOrThrow('https://example.com/a').key,
    );
  });

  const bad: ReadonlyArray<readonly [input: string, code: string]> = [
    ['', UrlErrorCode.Invalid],
    ['not a url', UrlErrorCode.Invalid],
    ['http://exa mple.com/', UrlErrorCode.Invalid],
    ['http://999999999999/', UrlErrorCode.Invalid],
    ['ftp://example.com/', UrlErrorCode.Scheme],
    ['javascript:alert(1)', UrlErrorCode.Scheme],
    ['file:///etc/passwd', UrlErrorCode.Scheme],
    ['data:image/png;base64,AAAA', UrlErrorCode.Scheme],
    ['http://a..b/', UrlErrorCode.Host],
    ['http://./', UrlErrorCode.Host],
    [`http://example.com/${'a'.repeat(8200)}`, UrlErrorCode.TooLong],
  ];
  it.each(bad)('refuses %j with %s (never throws)', (input, code) => {
    const result = normalizeUrl(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.retriable).toBe(false);
    }
  });

  it('refuses a URL whose canonical form outgrows MAX_URL_LENGTH, however short the input', () => {
    // 1,000 euro signs: 1,025 characters in, 9,000 percent-encoded out.
    const input = `https://a.example/${'€'.repeat(1000)}`;
    expect(input.length).toBeLessThan(MAX_URL_LENGTH);
    const result = normalizeUrl(input);
    expect(result.ok ? 'ok' : result.error.code).toBe(UrlErrorCode.TooLong);
    // Just under the limit it is taken, and its canonical form fits.
    const fits = normalizeUrlOrThrow(`https://a.example/${'€'.repeat(900)}`);
    expect(fits.href.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
  });

  it('refuses non-string input with a typed error', () => {
    const result = normalizeUrl(42 as unknown as string);
    expect(result.ok ? 'ok' : result.error.code).toBe(UrlErrorCode.Invalid);
  });

  it('is idempotent on its own output', () => {
    for (const [input] of cases) {
      const once = normalizeUrlOrThrow(input);
      expect(normalizeUrlOrThrow(once.href)).toEqual(once);
    }
  });
});

describe('normalizePercentEncoding', () => {
  it('decodes unreserved, upper-cases the rest and escapes stray percent signs', () => {
    expect(normalizePercentEncoding('%61%2a%2A%7E%25%')).toBe('a%2A%2A~%25%25');
    expect(normalizePercentEncoding('plain')).toBe('plain');
  });
});

describe('normalizePattern', () => {
  it('reads scheme-less list entries as http URLs', () => {
    const a = normalizePattern('Example.org/Path');
    const b = normalizePattern('https://example.org/Path');
    expect(a.ok && b.ok && a.url.key === b.url.key).toBe(true);
    expect(a.ok ? a.url.key : '').toBe('example.org/Path');
  });
});

describe('writtenUrlProblem', () => {
  // The parsers repair these silently: `https:///p/1` is https://p/1 (the first path segment becomes the host).
  it.each([
    'https:///p/1',
    'http:////p/1',
    'https:/p/1',
    'https:p/1',
    'https:\\\\p/1',
    'https://p\\q/1',
    'https://@/p',
    'https://user@/p/1',
    'https://ex\tample.com/',
    'https://example.com/a\nb',
  ])('names what the parser would repair in %j', (input) => {
    expect(writtenUrlProblem(input)).toEqual(expect.any(String));
  });

  it('takes a URL written as the parser reads it, and a scheme-less pattern when told', () => {
    expect(writtenUrlProblem(' https://p.example/1 ')).toBeNull();
    expect(writtenUrlProblem('HTTP://user:pw@p.example:8080/a?b#c')).toBeNull();
    expect(writtenUrlProblem('http://[::1]/')).toBeNull();
    // A backslash in a query stays one (the parsers repair only those before it).
    expect(writtenUrlProblem('https://p.example/a?q=a\\b#c\\d')).toBeNull();
    expect(writtenUrlProblem('p.example/1', { schemeOptional: true })).toBeNull();
    expect(writtenUrlProblem('p.example/1')).toEqual(expect.any(String));
    expect(writtenUrlProblem('///p/1', { schemeOptional: true })).toEqual(expect.any(String));
    expect(writtenUrlProblem('https:///p/1', { schemeOptional: true })).toEqual(expect.any(String));
  });
});
