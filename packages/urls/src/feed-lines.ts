import type { BlocklistEntry } from './blocklist.js';
import { HostType, normalizePattern, type NormalizedUrl } from './normalize.js';
import {
  checkName,
  LABEL,
  RPZ_TRIGGER_NAME,
  rpzHostFits,
  rpzRecordsOf,
  rpzTarget,
  type RpzOptions,
} from './rpz.js';

/** An entry left out of a feed, and why (e.g. a name DNS cannot carry). */
export interface SkippedEntry {
  readonly id: string;
  readonly reason: string;
}

type Target = { readonly url: NormalizedUrl } | { readonly skip: string };

function targetOf(entry: BlocklistEntry): Target {
  const result = normalizePattern(entry.target);
  return result.ok ? { url: result.url } : { skip: `target is not a URL or host: ${result.error.code}` };
}

/**
 * Bump when the rendering of an entry changes: stores holding rendered lines must render them again.
 * 2: names whose last label starts with `rpz-` are left out of the RPZ ({@link RPZ_TRIGGER_NAME}).
 * 3: a public suffix (`com`, `co.uk`, a single-label name) is never listed host-level.
 * 4: escapes of characters a URL may hold as written are decoded (`/a%7Cb` is `/a|b`, as in the index).
 */
export const FEED_RENDER_VERSION = 4;

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
  // Host-level means the name and every name below it: for a public suffix (a dedicated host entry `com`, or
  // a URL entry `http://co.uk/x` marked dedicated) that is every site registered under it, at every ISP.
  if (url.hostType === HostType.Domain && url.registrableDomain === null) {
    const why = 'host is a public suffix: listing it would block every name under it';
    return { urlLine: null, hostLine: null, rpzHost: null, skip: why, rpzSkip: why };
  }
  if (url.hostType !== HostType.Domain)
    return {
      urlLine: null,
      hostLine: url.host,
      rpzHost: null,
      skip: null,
      rpzSkip: 'IP hosts cannot be listed by name in an RPZ',
    };
  if (RPZ_TRIGGER_NAME.test(url.host))
    return {
      urlLine: null,
      hostLine: url.host,
      rpzHost: null,
      skip: null,
      rpzSkip: 'host ends in an rpz- label, which resolvers read as an IP or name-server trigger',
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

/** The data lines of one feed, sorted and unique, and the entries left out of it. */
export interface Lines {
  readonly lines: string[];
  readonly skipped: SkippedEntry[];
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** The RPZ's records: two per dedicated host that is a DNS name fitting the zone. */
export function rpzLines(entries: readonly BlocklistEntry[], options: RpzOptions): Lines {
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

/** The URL list's lines: one per URL-level (non-dedicated) entry. */
export function urlLines(entries: readonly BlocklistEntry[]): Lines {
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

/** The domain list's lines: one per dedicated host. */
export function domainLines(entries: readonly BlocklistEntry[]): Lines {
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
