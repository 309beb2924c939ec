import { getPublicSuffix } from 'tldts';
import { UrlError, UrlErrorCode } from './errors.js';
import { HostType, normalizePattern, type NormalizedUrl } from './normalize.js';

/**
 * Kinds of URL-list entry, from narrowest to widest:
 * - `url`: exactly this page (scheme-insensitive, query included);
 * - `prefix`: this page and everything below it, on path-segment boundaries (`/dir` matches `/dir`, `/dir/x`,
 *   `/dir?q`, not `/dirx`; `/dir/` matches `/dir/` and below); same host and port only, no query allowed;
 * - `host`: every URL on exactly this host (any port, any scheme);
 * - `domain`: this host and all its subdomains (`example.org` matches `a.b.example.org`).
 */
export const UrlListKind = { Url: 'url', Prefix: 'prefix', Host: 'host', Domain: 'domain' } as const;
export type UrlListKind = (typeof UrlListKind)[keyof typeof UrlListKind];

/** One entry of a URL list. `pattern` may omit the scheme (IWF style). `T` carries caller data (bank, category). */
export interface UrlListEntry<T = unknown> {
  /** Unique within the index; adding an id again replaces the old entry. */
  readonly id: string;
  readonly kind: UrlListKind;
  readonly pattern: string;
  readonly data?: T;
}

/** A match: the entry and the canonical key it was indexed under. */
export interface UrlListMatch<T = unknown> {
  readonly entry: UrlListEntry<T>;
  readonly key: string;
}

interface Stored<T> {
  readonly entry: UrlListEntry<T>;
  readonly key: string;
}

/** Entries sharing one key. A single entry is stored bare: most keys have one, and 1M small Maps cost ~100 MB. */
type Bucket<T> = Stored<T> | Stored<T>[];

/**
 * What is listed under one host name: counts that gate probes of the shared exact and prefix maps (so an
 * unlisted host costs one probe), the prefix lengths in use, and the host and domain entries themselves.
 * Kept small on purpose: one per listed host, and a million small Maps would cost hundreds of megabytes.
 */
interface HostNode<T> {
  exactCount: number;
  /** Distinct prefix path lengths in use on this host (any port), ascending, with how many entries use each. */
  prefixLengths: number[] | null;
  prefixLengthUses: number[] | null;
  hosts: Bucket<T> | null;
  domains: Bucket<T> | null;
  count: number;
}

/**
 * Canonical index key of a pattern for a kind. Throws {@link UrlError} `MOD_ERR_URL_LIST_ENTRY_INVALID` when the
 * pattern does not fit the kind. Exposed so that stores can deduplicate with the same rule the index uses.
 */
export function canonicalPatternKey(kind: UrlListKind, pattern: string): string {
  return patternKey(kind, pattern).key;
}

/**
 * Whether `host` is a suffix others register names under: a public suffix (`co.uk`, which `canonicalPatternKey`
 * refuses as a domain pattern) or a suffix of the Public Suffix List's private section, where an operator gives
 * each customer a name (`github.io`, `blogspot.com`). A domain entry for one lists every name under it. Curation
 * refuses both for new entries; the index keeps loading entries stored before (it does not call this).
 */
export function isRegistrySuffix(host: string): boolean {
  return (
    getPublicSuffix(host, { extractHostname: false, validateHostname: false, allowPrivateDomains: true }) ===
    host
  );
}

/** The host a stored key belongs to (keys start with the host; IPv6 hosts are bracketed). */
function hostOfKey(kind: UrlListKind, key: string): string {
  if (kind === UrlListKind.Host || kind === UrlListKind.Domain) return key;
  const end = key.startsWith('[') ? key.indexOf(']') + 1 : key.search(/[:/]/);
  return key.slice(0, end);
}

function patternKey(kind: UrlListKind, pattern: string): { key: string; host: string } {
  const key = patternKeyOnly(kind, pattern);
  return { key, host: hostOfKey(kind, key) };
}

function patternKeyOnly(kind: UrlListKind, pattern: string): string {
  const result = normalizePattern(pattern);
  if (!result.ok) {
    throw new UrlError(UrlErrorCode.ListEntry, `${kind} pattern is not a URL: ${result.error.message}`, {
      cause: result.error,
    });
  }
  const url = result.url;
  switch (kind) {
    case UrlListKind.Url:
      return url.key;
    case UrlListKind.Prefix:
      if (url.query !== '')
        throw new UrlError(UrlErrorCode.ListEntry, 'prefix pattern must not have a query');
      return url.port === null ? url.host + url.path : `${url.host}:${url.port}${url.path}`;
    case UrlListKind.Host:
    case UrlListKind.Domain: {
      if (url.path !== '/' || url.query !== '' || url.port !== null) {
        throw new UrlError(
          UrlErrorCode.ListEntry,
          `${kind} pattern must be a bare host (no path, query or port)`,
        );
      }
      if (kind === UrlListKind.Domain) {
        if (url.hostType !== HostType.Domain) {
          throw new UrlError(
            UrlErrorCode.ListEntry,
            'domain pattern must be a name; use a host entry for an IP',
          );
        }
        if (getPublicSuffix(url.host, { extractHostname: false, validateHostname: false }) === url.host) {
          throw new UrlError(UrlErrorCode.ListEntry, `domain pattern ${url.host} is a public suffix`);
        }
      }
      return url.host;
    }
    default:
      throw new UrlError(UrlErrorCode.ListEntry, `unknown entry kind ${String(kind)}`);
  }
}

function bucketAdd<T>(bucket: Bucket<T> | null, stored: Stored<T>): Bucket<T> {
  if (bucket === null) return stored;
  if (Array.isArray(bucket)) {
    bucket.push(stored);
    return bucket;
  }
  return [bucket, stored];
}

function bucketRemove<T>(bucket: Bucket<T> | null, id: string): Bucket<T> | null {
  if (bucket === null) return null;
  if (!Array.isArray(bucket)) return bucket.entry.id === id ? null : bucket;
  const rest = bucket.filter((stored) => stored.entry.id !== id);
  return rest.length === 0 ? null : rest.length === 1 ? rest[0]! : rest;
}

/** The bucket with `stored` added (`change` 1) or taken out (-1); null once it is empty. */
function bucketChange<T>(bucket: Bucket<T> | null, stored: Stored<T>, change: 1 | -1): Bucket<T> | null {
  return change === 1 ? bucketAdd(bucket, stored) : bucketRemove(bucket, stored.entry.id);
}

/** Adds `stored` to the bucket of its key or takes it out, dropping the bucket once it is empty. */
function changeBuckets<T>(buckets: Map<string, Bucket<T>>, stored: Stored<T>, change: 1 | -1): void {
  const bucket = bucketChange(buckets.get(stored.key) ?? null, stored, change);
  if (bucket === null) buckets.delete(stored.key);
  else buckets.set(stored.key, bucket);
}

/**
 * Counts one more (`change` 1) or one fewer (-1) prefix entry of path length `length` on the node, keeping its
 * lengths ascending and dropping a length no entry uses any more.
 */
function changePrefixLength<T>(node: HostNode<T>, length: number, change: 1 | -1): void {
  const lengths = node.prefixLengths ?? [];
  const uses = node.prefixLengthUses ?? [];
  const at = lengths.indexOf(length);
  if (at === -1 && change === 1) {
    let i = 0;
    while (i < lengths.length && lengths[i]! < length) i++;
    lengths.splice(i, 0, length);
    uses.splice(i, 0, 1);
  } else if (at !== -1 && (uses[at]! += change) === 0) {
    lengths.splice(at, 1);
    uses.splice(at, 1);
  }
  const inUse = lengths.length > 0;
  node.prefixLengths = inUse ? lengths : null;
  node.prefixLengthUses = inUse ? uses : null;
}

function pushAll<T>(out: UrlListMatch<T>[], bucket: Bucket<T> | undefined): void {
  if (bucket === undefined) return;
  if (Array.isArray(bucket)) for (const stored of bucket) out.push(stored);
  else out.push(bucket);
}

/** Path length of a prefix key (`host[:port]/path`). */
function prefixPathLength(key: string, host: string): number {
  return key.length - key.indexOf('/', host.length);
}

/**
 * In-memory URL-list index. A lookup probes a map of listed host names once per host suffix (the URL's host, then
 * each parent name that could carry a domain entry) and, only when the URL's own host is listed, the shared
 * exact-URL map and the prefix map at the prefix lengths in use on that host. Nothing is ever scanned, so the
 * cost does not grow with the list size; an unlisted URL costs about two probes.
 */
export class UrlListIndex<T = unknown> {
  readonly #byId = new Map<string, Stored<T>>();
  readonly #nodes = new Map<string, HostNode<T>>();
  /** Exact URLs by key (`host[:port]/path[?query]`). */
  readonly #exact = new Map<string, Bucket<T>>();
  /** Prefixes by key (`host[:port]/path`). */
  readonly #prefixes = new Map<string, Bucket<T>>();
  #domainCount = 0;

  /** Number of entries. */
  get size(): number {
    return this.#byId.size;
  }

  /** Adds (or replaces, by id) an entry. Throws {@link UrlError} when the pattern does not fit its kind. */
  add(entry: UrlListEntry<T>): void {
    const { key, host } = patternKey(entry.kind, entry.pattern);
    this.remove(entry.id);
    const stored: Stored<T> = { entry, key };
    this.#byId.set(entry.id, stored);
    let node = this.#nodes.get(host);
    if (node === undefined) {
      node = {
        exactCount: 0,
        prefixLengths: null,
        prefixLengthUses: null,
        hosts: null,
        domains: null,
        count: 0,
      };
      this.#nodes.set(host, node);
    }
    this.#change(node, host, stored, 1);
  }

  /** Removes an entry by id; returns whether it was present. */
  remove(id: string): boolean {
    const stored = this.#byId.get(id);
    if (stored === undefined) return false;
    this.#byId.delete(id);
    const host = hostOfKey(stored.entry.kind, stored.key);
    const node = this.#nodes.get(host);
    if (node === undefined) return true;
    this.#change(node, host, stored, -1);
    if (node.count === 0) this.#nodes.delete(host);
    return true;
  }

  /**
   * Files an entry where its kind is kept (`change` 1) or takes it out of there (-1), keeping the counts of its
   * host node (and of domain entries) that gate lookups: `add` and `remove` are mirror images.
   */
  #change(node: HostNode<T>, host: string, stored: Stored<T>, change: 1 | -1): void {
    node.count += change;
    switch (stored.entry.kind) {
      case UrlListKind.Url:
        node.exactCount += change;
        changeBuckets(this.#exact, stored, change);
        break;
      case UrlListKind.Prefix:
        changeBuckets(this.#prefixes, stored, change);
        changePrefixLength(node, prefixPathLength(stored.key, host), change);
        break;
      case UrlListKind.Host:
        node.hosts = bucketChange(node.hosts, stored, change);
        break;
      case UrlListKind.Domain:
        node.domains = bucketChange(node.domains, stored, change);
        this.#domainCount += change;
        break;
    }
  }

  /** The entry with this id, if any. */
  get(id: string): UrlListEntry<T> | undefined {
    return this.#byId.get(id)?.entry;
  }

  /** Every entry that matches the URL, narrowest kind first (url, prefix, host, domain). */
  match(url: NormalizedUrl): UrlListMatch<T>[] {
    const out: UrlListMatch<T>[] = [];
    const node = this.#nodes.get(url.host);
    if (node !== undefined) {
      if (node.exactCount > 0) pushAll(out, this.#exact.get(url.key));
      if (node.prefixLengths !== null) {
        const authority = url.port === null ? url.host : `${url.host}:${url.port}`;
        const path = url.path;
        for (const length of node.prefixLengths) {
          if (length > path.length) break;
          // Segment boundary: the prefix ends with '/', or the path ends (or a segment starts) right after it.
          if (length < path.length && path.charCodeAt(length - 1) !== 47 && path.charCodeAt(length) !== 47)
            continue;
          pushAll(
            out,
            this.#prefixes.get(authority + (length === path.length ? path : path.slice(0, length))),
          );
        }
      }
      if (node.hosts !== null) pushAll(out, node.hosts);
      if (node.domains !== null) pushAll(out, node.domains);
    }
    if (this.#domainCount > 0 && url.hostType === HostType.Domain) {
      // Parent names. A single label is never probed: domain entries cannot be public suffixes.
      let suffix = url.host;
      for (let dot = suffix.indexOf('.'); dot !== -1; ) {
        suffix = suffix.slice(dot + 1);
        dot = suffix.indexOf('.');
        if (dot === -1) break;
        const parent = this.#nodes.get(suffix);
        if (parent !== undefined && parent.domains !== null) pushAll(out, parent.domains);
      }
    }
    return out;
  }

  /** Every entry, in insertion order. */
  *entries(): IterableIterator<UrlListEntry<T>> {
    for (const stored of this.#byId.values()) yield stored.entry;
  }
}
