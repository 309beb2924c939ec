import { createHash } from 'node:crypto';
import {
  checkSerial,
  feedError,
  type BlocklistChange,
  type BlocklistEntry,
  type BlocklistSnapshot,
} from './blocklist.js';
import {
  domainLines,
  FEED_RENDER_VERSION,
  rpzLines,
  urlLines,
  type Lines,
  type SkippedEntry,
} from './feed-lines.js';
import { absoluteName, checkName, rpzTarget, seconds, soaLine, type RpzOptions } from './rpz.js';

/** Feed formats: a DNS Response Policy Zone, a URL list for proxies, a domain list. */
export const FeedFormat = { Rpz: 'rpz', UrlList: 'url-list', DomainList: 'domain-list' } as const;
export type FeedFormat = (typeof FeedFormat)[keyof typeof FeedFormat];

/** A full feed, ready to serve. */
export interface RenderedFeed {
  readonly format: FeedFormat;
  readonly serial: number;
  readonly contentType: string;
  readonly body: string;
  /** Strong ETag (quoted) from format, serial and a digest of the body. */
  readonly etag: string;
  /** Data lines (records or list lines), excluding SOA/NS and comments. */
  readonly lines: readonly string[];
  readonly skipped: readonly SkippedEntry[];
}

/** "Changes since serial N": the net lines to add and remove to go from `fromSerial` to `toSerial`. */
export interface IncrementalFeed {
  readonly kind: 'incremental';
  readonly format: FeedFormat;
  readonly fromSerial: number;
  readonly toSerial: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** For RPZ: the new SOA record line; null for lists. */
  readonly soa: string | null;
  readonly etag: string;
}

/** The history no longer reaches back to the requested serial (or it is unknown): serve the full feed. */
export interface FullRequired {
  readonly kind: 'full-required';
  readonly reason: string;
}

function linesFor(
  format: FeedFormat,
  entries: readonly BlocklistEntry[],
  rpz: RpzOptions | undefined,
): Lines {
  switch (format) {
    case FeedFormat.Rpz:
      if (rpz === undefined) throw feedError('RPZ rendering needs RpzOptions');
      return rpzLines(entries, rpz);
    case FeedFormat.UrlList:
      return urlLines(entries);
    case FeedFormat.DomainList:
      return domainLines(entries);
    default:
      throw feedError(`unknown feed format ${String(format)}`);
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

const CONTENT_TYPES: Readonly<Record<FeedFormat, string>> = {
  [FeedFormat.Rpz]: 'text/dns; charset=utf-8',
  [FeedFormat.UrlList]: 'text/plain; charset=utf-8',
  [FeedFormat.DomainList]: 'text/plain; charset=utf-8',
};

/**
 * Renders a full feed. RPZ: a master-file zone (names relative to the zone, no `$ORIGIN`, so the ISP may load it
 * under `zoneName`) with SOA, `NS`, and `name CNAME .` plus `*.name CNAME .` for each dedicated host (or CNAME to
 * the walled garden). URL list: one scheme-less canonical URL per line (non-dedicated entries). Domain list: one
 * host per line (dedicated entries; matches the host and its subdomains). Lines sorted; output deterministic.
 */
export function renderFeed(format: FeedFormat, snapshot: BlocklistSnapshot, rpz?: RpzOptions): RenderedFeed {
  checkSerial(snapshot.serial);
  const { lines, skipped } = linesFor(format, snapshot.entries, rpz);
  const head = feedHead(format, snapshot.serial, rpz);
  const body = head + (lines.length === 0 ? '' : lines.join('\n') + '\n');
  return {
    format,
    serial: snapshot.serial,
    contentType: CONTENT_TYPES[format],
    body,
    etag: `"${format}-${snapshot.serial}-${digest(body)}"`,
    lines,
    skipped,
  };
}

/**
 * What a full feed has before its data lines: for RPZ the comment, `$TTL`, SOA and NS lines (each ending in a
 * newline); nothing for the lists. A full feed is this head and then every data line, sorted, each followed by
 * a newline: stores that sort the lines themselves (byte order) stream the same bytes as {@link renderFeed}.
 */
export function feedHead(format: FeedFormat, serial: number, rpz?: RpzOptions): string {
  checkSerial(serial);
  if (format !== FeedFormat.Rpz) {
    if (format !== FeedFormat.UrlList && format !== FeedFormat.DomainList)
      throw feedError(`unknown feed format ${String(format)}`);
    return '';
  }
  if (rpz === undefined) throw feedError('RPZ rendering needs RpzOptions');
  return (
    [
      `; RPZ ${checkName(rpz.zoneName, 'zoneName')} serial ${serial}`,
      `$TTL ${seconds('ttlSeconds', rpz.ttlSeconds, 300)}`,
      soaLine(serial, rpz),
      `@ NS ${absoluteName(rpz.primaryNameServer ?? 'localhost.', 'primaryNameServer')}`,
    ].join('\n') + '\n'
  );
}

/** The content type of a feed format. */
export function feedContentType(format: FeedFormat): string {
  const type = CONTENT_TYPES[format];
  if (type === undefined) throw feedError(`unknown feed format ${String(format)}`);
  return type;
}

/**
 * A strong ETag for a full feed served from a store, known before the body is streamed: the body is a function
 * of the entries as of `serial` in the feed of `scope` (e.g. the ISP), the RPZ options and
 * {@link FEED_RENDER_VERSION}, and a serial never names two entry sets in one feed.
 */
export function fullFeedEtag(format: FeedFormat, serial: number, scope: string, rpz?: RpzOptions): string {
  checkSerial(serial);
  const options = format === FeedFormat.Rpz ? [feedHead(format, 1, rpz), rpzTarget(rpz!)] : [];
  return `"${format}-${serial}-${digest(JSON.stringify([FEED_RENDER_VERSION, scope, ...options]))}"`;
}

/**
 * "Changes since serial N" from the net data-line differences a store computed (lines present at `toSerial`
 * and not at `fromSerial`, and the reverse): the same answer as {@link renderIncremental}.
 */
export function incrementalFromLines(
  format: FeedFormat,
  fromSerial: number,
  toSerial: number,
  added: readonly string[],
  removed: readonly string[],
  rpz?: RpzOptions,
): IncrementalFeed {
  checkSerial(toSerial);
  if (!Number.isInteger(fromSerial) || fromSerial < 0 || fromSerial > toSerial)
    throw feedError(`fromSerial must be an integer in 0..${toSerial}`);
  const sortedAdded = [...added].sort();
  const sortedRemoved = [...removed].sort();
  if (format === FeedFormat.Rpz && rpz === undefined) throw feedError('RPZ rendering needs RpzOptions');
  const soa = format === FeedFormat.Rpz ? soaLine(toSerial, rpz!) : null;
  const etag = `"${format}-${fromSerial}-${toSerial}-${digest(JSON.stringify([sortedAdded, sortedRemoved, soa]))}"`;
  return {
    kind: 'incremental',
    format,
    fromSerial,
    toSerial,
    added: sortedAdded,
    removed: sortedRemoved,
    soa,
    etag,
  };
}

/**
 * Answers "changes since serial N" for a format: replays the change history backwards from the current snapshot
 * to rebuild the entries at N, renders both, and returns the net line differences (so two entries that render
 * the same line never remove each other's line). `changes` must hold every change from N to the current serial,
 * in any order; when they do not, or N is unknown or newer, the answer is {@link FullRequired}.
 */
export function renderIncremental(
  format: FeedFormat,
  current: BlocklistSnapshot,
  changes: readonly BlocklistChange[],
  sinceSerial: number,
  rpz?: RpzOptions,
): IncrementalFeed | FullRequired {
  checkSerial(current.serial);
  if (!Number.isInteger(sinceSerial) || sinceSerial < 0)
    throw feedError('sinceSerial must be a non-negative integer');
  if (sinceSerial > current.serial)
    return { kind: 'full-required', reason: `serial ${sinceSerial} is newer than ${current.serial}` };
  const byTo = new Map(changes.map((change) => [change.toSerial, change]));
  const chain: BlocklistChange[] = [];
  for (let serial = current.serial; serial !== sinceSerial; ) {
    const change = byTo.get(serial);
    if (change === undefined || change.fromSerial >= serial) {
      return { kind: 'full-required', reason: `no change history from ${sinceSerial} to ${current.serial}` };
    }
    chain.push(change);
    serial = change.fromSerial;
    if (serial < sinceSerial)
      return { kind: 'full-required', reason: `serial ${sinceSerial} was never published` };
  }
  const entries = new Map(current.entries.map((entry) => [entry.id, entry]));
  for (const change of chain) {
    for (const entry of change.added) entries.delete(entry.id);
    for (const entry of change.removed) entries.set(entry.id, entry);
  }
  const before = new Set(linesFor(format, [...entries.values()], rpz).lines);
  const after = new Set(linesFor(format, current.entries, rpz).lines);
  const added = [...after].filter((line) => !before.has(line)).sort();
  const removed = [...before].filter((line) => !after.has(line)).sort();
  const soa = format === FeedFormat.Rpz ? soaLine(current.serial, rpz!) : null;
  const etag = `"${format}-${sinceSerial}-${current.serial}-${digest(JSON.stringify([added, removed, soa]))}"`;
  return {
    kind: 'incremental',
    format,
    fromSerial: sinceSerial,
    toSerial: current.serial,
    added,
    removed,
    soa,
    etag,
  };
}

/**
 * Whether an `If-None-Match` header value matches an ETag (RFC 9110 weak comparison: `W/` ignored, `*` matches,
 * comma-separated lists allowed). A match means answer 304 Not Modified.
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const strip = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
  const wanted = strip(etag.trim());
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || strip(tag) === wanted;
  });
}
