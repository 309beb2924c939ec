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
  const zone = checkName(options.zoneName, 'zoneName');
  const cname = rpzTarget(options);
  const lines: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    if (!entry.dedicatedToAbuse) continue; // URL-level: DNS cannot block one page without the whole name.
    const target = targetOf(entry);
    if ('skip' in target) {
      skipped.push({ id: entry.id, reason: target.skip });
      continue;
    }
    const { url } = target;
    if (url.hostType !== HostType.Domain) {
      skipped.push({ id: entry.id, reason: 'IP hosts cannot be listed by name in an RPZ' });
      continue;
    }
    const labelsOk = url.host.split('.').every((label) => LABEL.test(label));
    // `*.name.zone` must fit in 253 characters too.
    if (!labelsOk || url.host.length + 2 + zone.length + 1 > 253) {
      skipped.push({ id: entry.id, reason: 'host is not a DNS name that fits the zone' });
      continue;
    }
    lines.push(`${url.host} CNAME ${cname}`, `*.${url.host} CNAME ${cname}`);
  }
  return { lines: sortedUnique(lines), skipped };
}

function urlLines(entries: readonly BlocklistEntry[]): Lines {
  const lines: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    if (entry.dedicatedToAbuse) continue; // Listed by host in the domain list instead.
    const target = targetOf(entry);
    if ('skip' in target) skipped.push({ id: entry.id, reason: target.skip });
    else lines.push(target.url.key);
  }
  return { lines: sortedUnique(lines), skipped };
}

function domainLines(entries: readonly BlocklistEntry[]): Lines {
  const lines: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    if (!entry.dedicatedToAbuse) continue;
    const target = targetOf(entry);
    if ('skip' in target) skipped.push({ id: entry.id, reason: target.skip });
    else lines.push(target.url.host);
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
  let body: string;
  if (format === FeedFormat.Rpz) {
    const options = rpz!;
    const header = [
      `; RPZ ${checkName(options.zoneName, 'zoneName')} serial ${snapshot.serial}`,
      `$TTL ${seconds('ttlSeconds', options.ttlSeconds, 300)}`,
      soaLine(snapshot.serial, options),
      `@ NS ${absoluteName(options.primaryNameServer ?? 'localhost.', 'primaryNameServer')}`,
    ];
    body = [...header, ...lines].join('\n') + '\n';
  } else {
    body = lines.length === 0 ? '' : lines.join('\n') + '\n';
  }
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
