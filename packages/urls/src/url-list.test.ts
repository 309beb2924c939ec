import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { UrlErrorCode } from './errors.js';
import { normalizeUrlOrThrow } from './normalize.js';
import { RecentlySeen } from './recently-seen.js';
import { UrlListIndex, type UrlListEntry } from './url-list.js';

function ids(index: UrlListIndex, url: string): string[] {
  return index.match(normalizeUrlOrThrow(url)).map((match) => match.entry.id);
}

function build(entries: readonly UrlListEntry[]): UrlListIndex {
  const index = new UrlListIndex();
  for (const entry of entries) index.add(entry);
  return index;
}

describe('UrlListIndex', () => {
  const index = build([
    { id: 'exact', kind: 'url', pattern: 'Example.org/Gallery/photo.jpg?id=5' },
    { id: 'exact-https', kind: 'url', pattern: 'https://example.org/a' },
    { id: 'prefix-dir', kind: 'prefix', pattern: 'example.org/dir/' },
    { id: 'prefix-seg', kind: 'prefix', pattern: 'example.org/seg' },
    { id: 'prefix-port', kind: 'prefix', pattern: 'example.org:8080/p' },
    { id: 'host', kind: 'host', pattern: 'cdn.example.net' },
    { id: 'domain', kind: 'domain', pattern: 'bad.example' },
    { id: 'domain-sub', kind: 'domain', pattern: 'sub.shared.example' },
    { id: 'ip-host', kind: 'host', pattern: '203.0.113.9' },
    { id: 'ip6-host', kind: 'host', pattern: 'http://[2001:DB8:0::1]/' },
    { id: 'escaped', kind: 'url', pattern: "example.org/it's|here?q=a|b" },
    { id: 'escaped-prefix', kind: 'prefix', pattern: 'example.org/p%21d%5B1%5D' },
  ]);

  it.each([
    ['http://example.org/Gallery/photo.jpg?id=5', ['exact']],
    ['https://EXAMPLE.org:443/Gallery/./photo.jpg?id=5#x', ['exact']],
    ['http://example.org/Gallery/photo.jpg?id=6', []],
    ['http://example.org/gallery/photo.jpg?id=5', []],
    ['http://example.org/a', ['exact-https']],
    ['http://example.org/dir/', ['prefix-dir']],
    ['http://example.org/dir/x/y.png', ['prefix-dir']],
    ['http://example.org/dir', []],
    ['http://example.org/seg', ['prefix-seg']],
    ['http://example.org/seg/deeper', ['prefix-seg']],
    ['http://example.org/seg?q=1', ['prefix-seg']],
    ['http://example.org/segment', []],
    ['http://example.org:8080/p/q', ['prefix-port']],
    ['http://example.org/p/q', []],
    ['http://cdn.example.net/any/thing', ['host']],
    ['https://cdn.example.net:8443/', ['host']],
    ['http://x.cdn.example.net/', []],
    ['http://bad.example/', ['domain']],
    ['http://a.b.bad.example./x', ['domain']],
    ['http://notbad.example/', []],
    ['http://deep.sub.shared.example/', ['domain-sub']],
    ['http://shared.example/', []],
    ['http://0xcb007109/', ['ip-host']],
    ['http://[2001:db8::1]:8080/x', ['ip6-host']],
    ['http://example.org/it%27s%7chere?q=a%7Cb', ['escaped']],
    ['http://example.org/it%27s%7Chere?q=a%7C%62', ['escaped']],
    ['http://example.org/it%27s%7Chere?q=a%26b', []],
    ['http://example.org/p!d[1]/x.jpg', ['escaped-prefix']],
    ['http://example.org/p%21d%5b1%5d%2Fx.jpg', []],
  ])('%s matches %j', (url, expected) => {
    expect(ids(index, url).sort()).toEqual([...expected].sort());
  });

  it('returns every matching entry, narrowest first', () => {
    const all = build([
      { id: 'd', kind: 'domain', pattern: 'example.com' },
      { id: 'h', kind: 'host', pattern: 'www.example.com' },
      { id: 'p', kind: 'prefix', pattern: 'www.example.com/a' },
      { id: 'u', kind: 'url', pattern: 'www.example.com/a/b' },
      { id: 'u2', kind: 'url', pattern: 'http://www.example.com/a/b' },
    ]);
    expect(ids(all, 'https://www.example.com/a/b')).toEqual(['u', 'u2', 'p', 'h', 'd']);
  });

  it('adds, replaces by id and removes', () => {
    const list = build([
      { id: '1', kind: 'url', pattern: 'x.example/a' },
      { id: '2', kind: 'url', pattern: 'x.example/a' },
      { id: '3', kind: 'prefix', pattern: 'x.example/a' },
    ]);
    expect(ids(list, 'http://x.example/a').sort()).toEqual(['1', '2', '3']);
    expect(list.remove('2')).toBe(true);
    expect(list.remove('2')).toBe(false);
    expect(ids(list, 'http://x.example/a').sort()).toEqual(['1', '3']);
    list.add({ id: '1', kind: 'domain', pattern: 'y.example' });
    expect(ids(list, 'http://x.example/a')).toEqual(['3']);
    expect(ids(list, 'http://z.y.example/')).toEqual(['1']);
    list.remove('3');
    expect(ids(list, 'http://x.example/a/b')).toEqual([]);
    expect(list.size).toBe(1);
    expect([...list.entries()].map((entry) => entry.id)).toEqual(['1']);
  });

  it('indexes and removes IPv6 and port-qualified entries', () => {
    const list = build([
      { id: 'v6-prefix', kind: 'prefix', pattern: 'http://[::1]:8080/a/' },
      { id: 'v6-url', kind: 'url', pattern: 'http://[0::1]:8080/a/b' },
      { id: 'port-url', kind: 'url', pattern: 'x.example:81/a' },
    ]);
    expect(ids(list, 'http://[::1]:8080/a/b').sort()).toEqual(['v6-prefix', 'v6-url']);
    expect(ids(list, 'http://[::1]/a/b')).toEqual([]);
    expect(ids(list, 'http://x.example:81/a')).toEqual(['port-url']);
    expect(ids(list, 'http://x.example/a')).toEqual([]);
    for (const id of ['v6-prefix', 'v6-url', 'port-url']) expect(list.remove(id)).toBe(true);
    expect(ids(list, 'http://[::1]:8080/a/b')).toEqual([]);
    expect(list.size).toBe(0);
  });

  it('keeps working prefix lengths after a removal', () => {
    const list = build([
      { id: 'short', kind: 'prefix', pattern: 'h.example/a' },
      { id: 'long', kind: 'prefix', pattern: 'h.example/a/b/c' },
    ]);
    list.remove('short');
    expect(ids(list, 'http://h.example/a/b/c/d')).toEqual(['long']);
    expect(ids(list, 'http://h.example/a/x')).toEqual([]);
  });

  it.each([
    [{ id: 'x', kind: 'url', pattern: 'ftp://x.example/' }],
    [{ id: 'x', kind: 'prefix', pattern: 'x.example/a?b=1' }],
    [{ id: 'x', kind: 'host', pattern: 'x.example/path' }],
    [{ id: 'x', kind: 'host', pattern: 'x.example:8080' }],
    [{ id: 'x', kind: 'domain', pattern: 'co.uk' }],
    [{ id: 'x', kind: 'domain', pattern: 'com' }],
    [{ id: 'x', kind: 'domain', pattern: 'intranet' }],
    [{ id: 'x', kind: 'domain', pattern: '10.0.0.1' }],
    [{ id: 'x', kind: 'nope', pattern: 'x.example' }],
  ] as Array<[UrlListEntry]>)('refuses %j with a typed error', (entry) => {
    const list = new UrlListIndex();
    expect(() => list.add(entry)).toThrow(expect.objectContaining({ code: UrlErrorCode.ListEntry }) as Error);
    expect(list.size).toBe(0);
  });

  it('does not scan: a path with thousands of segments costs only the prefix lengths in use', () => {
    const list = build([{ id: 'p', kind: 'prefix', pattern: 'h.example/a/' }]);
    const url = normalizeUrlOrThrow(`http://h.example/a/${'x/'.repeat(3000)}`);
    expect(list.match(url).map((match) => match.entry.id)).toEqual(['p']);
  });
});

describe('RecentlySeen', () => {
  it('remembers keys for the TTL only', () => {
    let now = 1_000;
    const seen = new RecentlySeen({ ttlMs: 100, maxEntries: 10, now: () => now });
    expect(seen.checkAndAdd('a')).toBe(false);
    expect(seen.checkAndAdd('a')).toBe(true);
    now += 99;
    expect(seen.has('a')).toBe(true);
    now += 1;
    expect(seen.has('a')).toBe(false);
    expect(seen.checkAndAdd('a')).toBe(false);
  });

  it('stays within maxEntries, forgetting the oldest first', () => {
    let now = 0;
    const seen = new RecentlySeen({ ttlMs: 1_000, maxEntries: 3, now: () => now });
    for (const key of ['a', 'b', 'c', 'd']) {
      seen.add(key);
      now += 1;
    }
    expect(seen.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((key) => seen.has(key))).toEqual([false, true, true, true]);
    seen.add('b'); // refreshed: now the newest
    seen.add('e');
    expect(['b', 'c', 'd', 'e'].map((key) => seen.has(key))).toEqual([true, false, true, true]);
  });

  it('drops expired keys on write', () => {
    let now = 0;
    const seen = new RecentlySeen({ ttlMs: 10, maxEntries: 100, now: () => now });
    seen.add('a');
    seen.add('b');
    now = 50;
    seen.add('c');
    expect(seen.size).toBe(1);
    expect(seen.delete('c')).toBe(true);
  });

  it("holds a fixed few bytes per key, not the key: a sender's longest URLs would take gigabytes", () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const seen = new RecentlySeen({ ttlMs: 3_600_000, maxEntries: 1_000_000 });
    // The longest key a canonical URL may have (MAX_URL_LENGTH, percent-encoding included): 8 GB for a million.
    const longest = normalizeUrlOrThrow(`http://example.com/${'€'.repeat(905)}`).key;
    expect(longest.length).toBeGreaterThan(8_100);
    gc();
    const before = process.memoryUsage().heapUsed;
    // 2,000 distinct such keys: 16 MB if they were kept.
    for (let i = 0; i < 2_000; i++) seen.add(`${longest}${i}`);
    gc();
    const held = process.memoryUsage().heapUsed - before;
    expect(seen.size).toBe(2_000);
    expect(seen.has(`${longest}1999`)).toBe(true);
    expect(seen.has(`${longest}2000`)).toBe(false);
    expect(held).toBeLessThan(4 * 1024 * 1024);
  });

  it('refuses nonsense options', () => {
    expect(() => new RecentlySeen({ ttlMs: 0, maxEntries: 1 })).toThrow(/ttlMs/);
    expect(() => new RecentlySeen({ ttlMs: 1, maxEntries: 0.5 })).toThrow(/maxEntries/);
  });
});
