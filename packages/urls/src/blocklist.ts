import { UrlError, UrlErrorCode } from './errors.js';

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

const MAX_SERIAL = 0xffffffff;

/** An error of feed rendering or planning (`MOD_ERR_URL_FEED`). */
export function feedError(message: string): UrlError {
  return new UrlError(UrlErrorCode.Feed, message);
}

/** Refuses a serial outside 1..2^32-1. */
export function checkSerial(serial: number): void {
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
