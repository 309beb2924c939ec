import { createHash } from 'node:crypto';
import { getDomain } from 'tldts';
import { UrlError, UrlErrorCode } from './errors.js';

/** Inputs longer than this are refused: the event contracts cap URLs at 8,192 characters. */
export const MAX_URL_LENGTH = 8192;

/** How the host of a normalised URL is written. */
export const HostType = { Domain: 'domain', Ipv4: 'ipv4', Ipv6: 'ipv6' } as const;
export type HostType = (typeof HostType)[keyof typeof HostType];

/**
 * A URL in the one canonical form used for matching and fetching. Plain data (safe to log or send).
 *
 * Two inputs that a browser would treat as the same resource normalise to the same `href`; `key` is the
 * scheme-less form (`host[:port]/path[?query]`) that URL lists are matched on, because a page blocked over
 * http is the same page over https (IWF lists carry no scheme).
 */
export interface NormalizedUrl {
  /** Canonical absolute URL: `scheme://host[:port]/path[?query]`, no userinfo, no fragment. */
  readonly href: string;
  /** Scheme-less matching key: `host[:port]/path[?query]`. */
  readonly key: string;
  readonly scheme: 'http' | 'https';
  /** Lower-case ASCII (punycode) name without trailing dot, dotted-quad IPv4, or bracketed compressed IPv6. */
  readonly host: string;
  readonly hostType: HostType;
  /** Explicit non-default port, or null when the scheme's default port applies. */
  readonly port: number | null;
  /** Registrable domain by the Public Suffix List (ICANN section), or null for IPs and public suffixes. */
  readonly registrableDomain: string | null;
  /** Path, starting with `/`, dot segments removed, percent-encoding normalised. */
  readonly path: string;
  /** Query without the leading `?`; empty string when there is none. */
  readonly query: string;
}

/** Result of {@link normalizeUrl}: the canonical URL, or a typed error (never thrown). */
export type NormalizeResult =
  | { readonly ok: true; readonly url: NormalizedUrl }
  | { readonly ok: false; readonly error: UrlError };

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 45 ||
    code === 46 ||
    code === 95 ||
    code === 126
  );
}

/**
 * Characters the WHATWG parser leaves as written in a path whose escape means the same to a server, which decodes
 * a path before it looks the page up: none delimits anything there (`/`, `;`, `\`, `?`, `#` and `%` are left
 * out, and so is what the parser escapes itself), so `/a%7Cb` and `/a|b`, `/it%27s` and `/it's` are one page and
 * one key. In a query, which a server splits before it decodes, only the characters no URI holds as written
 * (RFC 3986 has no place for them, so they delimit nothing); a query's reserved escapes (`%26`, `%3D`, `%2F`...)
 * are kept as sent, since some servers compare the query as sent (signed addresses).
 */
const PATH_LITERALS = new Set([...`!$&'()*+,:=@[]|`].map((c) => c.charCodeAt(0)));
const QUERY_LITERALS = new Set([...'\\^`{|}'].map((c) => c.charCodeAt(0)));

/**
 * Decodes percent-escapes of unreserved characters (and of `literals`: see {@link PATH_LITERALS}), upper-cases
 * the hex of every other escape, and escapes a stray `%` as `%25`, so that equivalent spellings compare equal
 * (RFC 3986 section 6.2.2).
 */
export function normalizePercentEncoding(text: string, literals?: ReadonlySet<number>): string {
  if (text.indexOf('%') === -1) return text;
  let out = '';
  let start = 0;
  for (let i = text.indexOf('%'); i !== -1; i = text.indexOf('%', i + 1)) {
    out += text.slice(start, i);
    const hi = i + 2 < text.length ? hexValue(text.charCodeAt(i + 1)) : -1;
    const lo = hi === -1 ? -1 : hexValue(text.charCodeAt(i + 2));
    if (hi === -1 || lo === -1) {
      out += '%25';
      start = i + 1;
      continue;
    }
    const byte = hi * 16 + lo;
    out +=
      isUnreserved(byte) || literals?.has(byte) === true
        ? String.fromCharCode(byte)
        : '%' + HEX[hi]! + HEX[lo]!;
    start = i + 3;
    i += 2;
  }
  return out + text.slice(start);
}

function fail(code: UrlErrorCode, message: string, cause?: unknown): NormalizeResult {
  return { ok: false, error: new UrlError(code, message, cause === undefined ? {} : { cause }) };
}

const IPV4_LIKE = /^[0-9a-fx.]+$/i;

function hostOf(hostname: string): { host: string; hostType: HostType } | UrlError {
  if (hostname.startsWith('[')) return { host: hostname, hostType: HostType.Ipv6 };
  let host = hostname;
  if (host.endsWith('.')) {
    let end = host.length;
    while (end > 0 && host.charCodeAt(end - 1) === 46) end--;
    host = host.slice(0, end);
    // "0x7f.1." style hosts: once the dot is gone the WHATWG IPv4 parser must see them again.
    if (host !== '' && IPV4_LIKE.test(host)) {
      try {
        host = new URL(`http://${host}/`).hostname;
      } catch (cause) {
        return new UrlError(UrlErrorCode.Host, 'host is not a valid IPv4 address', { cause });
      }
    }
  }
  if (host === '') return new UrlError(UrlErrorCode.Host, 'empty host');
  if (host.includes('..') || host.startsWith('.'))
    return new UrlError(UrlErrorCode.Host, 'host has an empty label');
  if (host.length > 253) return new UrlError(UrlErrorCode.Host, 'host longer than 253 characters');
  const last = host.charCodeAt(host.length - 1);
  // The WHATWG parser has already turned every IPv4 spelling into a dotted quad; a name ending in a digit
  // that is not one is an IPv4 address here.
  const isIpv4 = last >= 48 && last <= 57 && /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return { host, hostType: isIpv4 ? HostType.Ipv4 : HostType.Domain };
}

/**
 * Canonical form of an http(s) URL for matching: scheme and host lower-cased, IDNA to punycode, trailing dots
 * removed, default ports dropped, percent-encoding normalised, dot segments removed, fragment and userinfo
 * dropped, empty path made `/`, empty query dropped, IPv4 integer/hex/octal forms as dotted quads, IPv6
 * compressed in brackets. Built on the WHATWG parser (what browsers do), plus the RFC 3986 steps it omits.
 *
 * Never throws: bad input comes back as `{ ok: false, error }` with a stable code.
 */
export function normalizeUrl(input: string): NormalizeResult {
  if (typeof input !== 'string' || input.length === 0) return fail(UrlErrorCode.Invalid, 'empty URL');
  if (input.length > MAX_URL_LENGTH)
    return fail(UrlErrorCode.TooLong, `URL longer than ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch (cause) {
    return fail(UrlErrorCode.Invalid, 'not a URL', cause);
  }
  const protocol = parsed.protocol;
  if (protocol !== 'http:' && protocol !== 'https:')
    return fail(UrlErrorCode.Scheme, `scheme ${protocol} is not http or https`);
  const scheme = protocol === 'http:' ? 'http' : 'https';
  const hostResult = hostOf(parsed.hostname);
  if (hostResult instanceof UrlError) return { ok: false, error: hostResult };
  const { host, hostType } = hostResult;
  const port = parsed.port === '' ? null : Number(parsed.port);
  const path = normalizePercentEncoding(parsed.pathname || '/', PATH_LITERALS);
  const search = parsed.search;
  const query = search.length > 1 ? normalizePercentEncoding(search.slice(1), QUERY_LITERALS) : '';
  const authority = port === null ? host : `${host}:${port}`;
  const key = query === '' ? authority + path : `${authority}${path}?${query}`;
  // Percent-encoding can make the canonical form up to nine times the input (one non-ASCII character becomes
  // %XX%XX%XX): every message and row that carries a URL holds at most MAX_URL_LENGTH, so neither form may exceed it.
  if (scheme.length + 3 + key.length > MAX_URL_LENGTH)
    return fail(UrlErrorCode.TooLong, `canonical URL longer than ${MAX_URL_LENGTH} characters`);
  const registrableDomain =
    hostType === HostType.Domain
      ? getDomain(host, { extractHostname: false, validateHostname: false })
      : null;
  return {
    ok: true,
    url: { href: `${scheme}://${key}`, key, scheme, host, hostType, port, registrableDomain, path, query },
  };
}

/**
 * What a URL parser would silently repair in `input` as written, or null when there is nothing: an empty authority
 * (`https:///p/1`, which parsers read as the page `/1` of host `p`), fewer or more than two slashes after the
 * scheme (`https:/p/1`, `https:p/1`), a backslash before the query (read as a slash), a tab or line break (dropped). A URL written
 * so is normalised to another address than the one it reads as, so where the text itself is kept and shown (an
 * order's subject, a list's pattern) it is refused rather than repaired. `schemeOptional`: a pattern may omit
 * the scheme, as URL-list patterns do (`example.org/path`).
 */
export function writtenUrlProblem(
  input: string,
  { schemeOptional = false }: { readonly schemeOptional?: boolean } = {},
): string | null {
  const text = input.trim();
  if (/[\t\n\r]/.test(text)) return 'a URL has no tab or line break inside (parsers drop them)';
  // Before the query: a backslash there is a slash to the parsers; in a query or fragment it stays as written.
  if (text.slice(0, text.search(/[?#]|$/)).includes('\\'))
    return 'a URL writes its slashes as / (a backslash as %5C)';
  const schemed = /^[a-z][a-z0-9+.-]*:/i.exec(text);
  let rest: string;
  if (schemed === null || (schemeOptional && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text))) {
    if (!schemeOptional) return 'a URL starts with its scheme and two slashes (https://host/...)';
    rest = text;
  } else {
    rest = text.slice(schemed[0].length);
    if (!rest.startsWith('//') || rest.startsWith('///'))
      return 'a URL has exactly two slashes after its scheme (https://host/...)';
    rest = rest.slice(2);
  }
  const authority = rest.slice(0, rest.search(/[/?#]|$/));
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostAndPort === '' || hostAndPort.startsWith(':'))
    return 'a URL names its host (its authority is empty)';
  return null;
}

/** Like {@link normalizeUrl} but throws the {@link UrlError}; for callers that already validated input. */
export function normalizeUrlOrThrow(input: string): NormalizedUrl {
  const result = normalizeUrl(input);
  if (!result.ok) throw result.error;
  return result.url;
}

/**
 * Normalises a URL-list pattern, which (as in IWF lists) may omit the scheme: `example.org/path` is read as
 * `http://example.org/path`. Scheme-less and schemed spellings give the same `key`.
 */
export function normalizePattern(pattern: string): NormalizeResult {
  const trimmed = typeof pattern === 'string' ? pattern.trim() : '';
  return normalizeUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
}

/**
 * What a URL is known by where there is no content to hash (a URL-list hit's verdict, a reported URL nothing could
 * be fetched from): the SHA-256 of its canonical `href`, hex. One definition, so that orders for the same URL fold.
 */
export const urlSha256 = (href: string): string => createHash('sha256').update(href).digest('hex');
