import { createHash } from 'node:crypto';
import { UrlError, UrlErrorCode } from './errors.js';
import { HostType, normalizePattern, type NormalizedUrl } from './normalize.js';

/**
 * One thing an ISP must block. IWF practice: block the page, not the domain, unless the whole host is dedicated
 * to abuse. So a non-dedicated entry is URL-level only (URL list); a dedicated one is host-level (RPZ + domain
 * list, subdomains included), because DNS can only block whole names.
 */
export interface BlocklistEntry {
  /** Stable id (e.g. the blocking order id); also what incremental changes refer to. */
  readonly id: string;
  /** A URL (scheme optional, IWF style) or a bare host. */
  readonly target: string;
  /** The host serves nothing but abuse: block the name and every subdomain. */
  readonly dedicatedToAbuse: boolean;
}

/** Every entry as of one serial. Serials are 32-bit SOA serials and rise on every change. */
export interface BlocklistSnapshot {
  readonly serial: number;
  readonly entries: readonly BlocklistEntry[];
}

/** What changed between two consecutive serials; kept so that "changes since serial N" can be answered. */
export interface BlocklistChange {
  readonly fromSerial: number;
  readonly toSerial: number;
  readonly added: readonly BlocklistEntry[];
  /** The removed entries as they were (their targets are needed to un-render them). */
  readonly removed: readonly BlocklistEntry[];
}

/** Feed formats: a DNS Response Policy Zone, a URL list for proxies, a domain list. */
export const FeedFormat = { Rpz: 'rpz', UrlList: 'url-list', DomainList: 'domain-list' } as const;
export type FeedFormat = (typeof FeedFormat)[keyof typeof FeedFormat];

/** What an RPZ does with a listed name: answer NXDOMAIN (`CNAME .`) or send the user to a walled garden. */
export type RpzAction =
  | { readonly type: 'nxdomain' }
  | { readonly type: 'walled-garden'; readonly host: string };

/** Options of the RPZ renderer. Times are seconds, as in the zone file. */
export interface RpzOptions {
  /** The zone's name at the ISP's resolver (e.g. `rpz.mod.example`); names are written relative to it. */
  readonly zoneName: string;
  /** Default `{ type: 'nxdomain' }`. */
  readonly action?: RpzAction;
  /** Default 300. */
  readonly ttlSeconds?: number;
  /** SOA MNAME, absolute. Default `localhost.`. */
  readonly primaryNameServer?: string;
  /** SOA RNAME (mailbox as a name), absolute. Default `hostmaster.localhost.`. */
  readonly hostmaster?: string;
  readonly refreshSeconds?: number;
  readonly retrySeconds?: number;
  readonly expireSeconds?: number;
  /** SOA minimum (negative-caching TTL). Default 60. */
  readonly minimumSeconds?: number;
}

/** An entry left out of a feed, and why (e.g. a name DNS cannot carry). */
export interface SkippedEntry {
  readonly id: string;
  readonly reason: string;
}

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

const MAX_SERIAL = 0xffffffff;
/** One DNS label as RPZ owners and targets may carry it (punycode, underscores allowed, no wildcard). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function feedError(message: string): UrlError {
  return new UrlError(UrlErrorCode.Feed, message);
}

function checkSerial(serial: number): void {
  if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) {
    throw feedError(`serial must be an integer in 1..${MAX_SERIAL}, got ${serial}`);
  }
}

/** Serial after `previous`. Wrapping (RFC 1982) would look like a fall to some resolvers, so it is refused. */
export function nextSerial(previous: number): number {
  checkSerial(previous);
  if (previous === MAX_SERIAL) throw feedError('serial space exhausted; re-seed the zone');
  return previous + 1;
}

function sameEntry(a: BlocklistEntry, b: BlocklistEntry): boolean {
  return a.target === b.target && a.dedicatedToAbuse === b.dedicatedToAbuse;
}

/**
 * Diffs the current snapshot against the wanted entries. Returns null when nothing changed (the serial must not
 * move), else the next snapshot (serial + 1, or `serial` when given and higher) and the change record to keep.
 * An entry whose target or flag changed counts as removed and added.
 */
export function planBlocklistChange(
  current: BlocklistSnapshot,
  wanted: readonly BlocklistEntry[],
  options: { readonly serial?: number } = {},
): { readonly snapshot: BlocklistSnapshot; readonly change: BlocklistChange } | null {
  const before = new Map(current.entries.map((entry) => [entry.id, entry]));
  const after = new Map<string, BlocklistEntry>();
  for (const entry of wanted) {
    if (after.has(entry.id)) throw feedError(`duplicate entry id ${entry.id}`);
    after.set(entry.id, entry);
  }
  const added: BlocklistEntry[] = [];
  const removed: BlocklistEntry[] = [];
  for (const [id, entry] of after) {
    const old = before.get(id);
    if (old === undefined) added.push(entry);
    else if (!sameEntry(old, entry)) {
      removed.push(old);
      added.push(entry);
    }
  }
  for (const [id, entry] of before) if (!after.has(id)) removed.push(entry);
  if (added.length === 0 && removed.length === 0) return null;
  const serial = options.serial ?? nextSerial(current.serial);
  checkSerial(serial);
  if (serial <= current.serial) throw feedError(`serial ${serial} does not rise above ${current.serial}`);
  return {
    snapshot: { serial, entries: [...after.values()] },
    change: { fromSerial: current.serial, toSerial: serial, added, removed },
  };
}

function checkName(name: string, what: string): string {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const lower = bare.toLowerCase();
  if (lower.length === 0 || lower.length > 253 || !lower.split('.').every((label) => LABEL.test(label))) {
    throw feedError(`${what} ${JSON.stringify(name)} is not a DNS name`);
  }
  return lower;
}

type Target = { readonly url: NormalizedUrl } | { readonly skip: string };

function targetOf(entry: BlocklistEntry): Target {
  const result = normalizePattern(entry.target);
  return result.ok ? { url: result.url } : { skip: `target is not a URL or host: ${result.error.code}` };
}

/** Bump when the rendering of an entry changes: stores holding rendered lines must render them again. */
export const FEED_RENDER_VERSION = 1;

/**
 * What one entry contributes to each feed, rendered once (stores may keep it with the entry): the URL-list line
 * of a URL-level entry, the domain-list line of a dedicated one, and the host an RPZ may name (a DNS name; the
 * RPZ also needs {@link rpzHostFits} for its zone). Null where the entry is not listed; `skip` says why an
 * entry is left out of the feed its flag puts it in.
 */
export interface FeedEntryLines {
  readonly urlLine: string | null;
  readonly hostLine: string | null;
  readonly rpzHost: string | null;
  readonly skip: string | null;
  readonly rpzSkip: string | null;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function feedLinesOf(entry: BlocklistEntry): FeedEntryLines {
  const target = targetOf(entry);
  if ('skip' in target)
    return { urlLine: null, hostLine: null, rpzHost: null, skip: target.skip, rpzSkip: target.skip };
  const { url } = target;
  if (!entry.dedicatedToAbuse) {
    // A line is one line (normalised URLs never carry control characters; stores rely on it).
    return CONTROL_CHARS.test(url.key)
      ? { urlLine: null, hostLine: null, rpzHost: null, skip: 'target has control characters', rpzSkip: null }
      : { urlLine: url.key, hostLine: null, rpzHost: null, skip: null, rpzSkip: null };
  }
  if (url.hostType !== HostType.Domain)
    return {
      urlLine: null,
      hostLine: url.host,
      rpzHost: null,
      skip: null,
      rpzSkip: 'IP hosts cannot be listed by name in an RPZ',
    };
  const labelsOk = url.host.split('.').every((label) => LABEL.test(label));
  return labelsOk
    ? { urlLine: null, hostLine: url.host, rpzHost: url.host, skip: null, rpzSkip: null }
    : {
        urlLine: null,
        hostLine: url.host,
        rpzHost: null,
        skip: null,
        rpzSkip: 'host is not a DNS name that fits the zone',
      };
}

/** The RPZ's zone name as records are written relative to (lower case, no trailing dot); checked. */
export function rpzZoneName(options: RpzOptions): string {
  return checkName(options.zoneName, 'zoneName');
}

/** Whether `*.host.zone` fits in a 253-character name (the zone name as given in the options). */
export function rpzHostFits(host: string, options: RpzOptions): boolean {
  const zone = checkName(options.zoneName, 'zoneName');
  return host.length + 2 + zone.length + 1 <= 253;
}

/** The CNAME target of every RPZ record: `.` (NXDOMAIN) or the walled-garden host, absolute. */
export function rpzCnameTarget(options: RpzOptions): string {
  return rpzTarget(options);
}

/** The two RPZ records of one listed host: the name and every name below it. */
export function rpzRecordsOf(host: string, cnameTarget: string): [string, string] {
  return [`${host} CNAME ${cnameTarget}`, `*.${host} CNAME ${cnameTarget}`];
}

interface Lines {
  readonly lines: string[];
  readonly skipped: SkippedEntry[];
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function rpzTarget(options: RpzOptions): string {
  const action = options.action ?? { type: 'nxdomain' };
  return action.type === 'nxdomain' ? '.' : `${checkName(action.host, 'walled-garden host')}.`;
}

function rpzLines(entries: readonly BlocklistEntry[], options: RpzOptions): Lines {
  checkName(options.zoneName, 'zoneName');
  const cname = rpzTarget(options);
  const lines: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    if (!entry.dedicatedToAbuse) continue; // URL-level: DNS cannot block one page without the whole name.
    const rendered = feedLinesOf(entry);
    if (rendered.rpzHost === null) {
      skipped.push({ id: entry.id, reason: rendered.rpzSkip ?? 'not a DNS name' });
      continue;
    }
    // `*.name.zone` must fit in 253 characters too.
    if (!rpzHostFits(rendered.rpzHost, options)) {
      skipped.push({ id: entry.id, reason: 'host is not a DNS name that fits the zone' });
      continue;
    }
    lines.push(...rpzRecordsOf(rendered.rpzHost, cname));
  }
  return { lines: sortedUnique(lines), skipped };
}

function urlLines(entries: readonly BlocklistEntry[]): Lines {
  const lines: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    if (entry.dedicatedToAbuse) continue; // Listed by host in the domain list instead.
    const rendered = feedLinesOf(entry);
    if (rendered.urlLine === null) skipped.push({ id: entry.id, reason: rendered.skip ?? 'not a URL' });
    else lines.push(rendered.urlLine);
  }
  return { lines: sortedUnique(lines), skipped };
}

function domainLines(entries: readonly BlocklistEntry[]): Lines {
  const lines: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    if (!entry.dedicatedToAbuse) continue;
    const rendered = feedLinesOf(entry);
    if (rendered.hostLine === null) skipped.push({ id: entry.id, reason: rendered.skip ?? 'not a host' });
    else lines.push(rendered.hostLine);
  }
  return { lines: sortedUnique(lines), skipped };
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

function seconds(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0 || result > 0x7fffffff)
    throw feedError(`${name} must be whole seconds`);
  return result;
}

function absoluteName(name: string, what: string): string {
  if (!name.endsWith('.')) throw feedError(`${what} must be an absolute name ending in "."`);
  return `${checkName(name, what)}.`;
}

function soaLine(serial: number, options: RpzOptions): string {
  const mname = absoluteName(options.primaryNameServer ?? 'localhost.', 'primaryNameServer');
  const rname = absoluteName(options.hostmaster ?? 'hostmaster.localhost.', 'hostmaster');
  const refresh = seconds('refreshSeconds', options.refreshSeconds, 3600);
  const retry = seconds('retrySeconds', options.retrySeconds, 600);
  const expire = seconds('expireSeconds', options.expireSeconds, 864_000);
  const minimum = seconds('minimumSeconds', options.minimumSeconds, 60);
  return `@ SOA ${mname} ${rname} ${serial} ${refresh} ${retry} ${expire} ${minimum}`;
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
