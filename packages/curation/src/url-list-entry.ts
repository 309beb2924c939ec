import { UrlListEntryKinds, type StagedUrlEntry, type UrlListEntryKind } from '@mod/db/url-lists';
import { isModError } from '@mod/contracts';
import { hasUnsafeTextCharacter } from '@mod/contracts/text-rules';
import {
  canonicalPatternKey,
  HostType,
  isDnsName,
  isRegistrySuffix,
  normalizePattern,
  UrlErrorCode,
  writtenUrlProblem,
} from '@mod/urls';
import { CurationErrorCode } from './errors.js';

/** An entry as a curator gives it. `pattern` may omit the scheme (IWF style). */
export interface UrlListEntryRequest {
  kind: UrlListEntryKind;
  pattern: string;
  /** The whole host serves abuse: feeds may list the name (RPZ, domain list). Default false. */
  dedicatedToAbuse?: boolean;
  /** Listed in ISP blocklist feeds. Default true. */
  block?: boolean;
  category?: string | null;
  note?: string | null;
}

/** Why one entry (by its position in a request, or its line in a file) was refused. */
export interface EntryError {
  /** 0-based position in the request, or 1-based line number in a file. */
  index: number;
  code: string;
  message: string;
}

export const MAX_CATEGORY_CHARS = 100;
export const MAX_NOTE_CHARS = 1000;

/** A validated entry: what the store needs (`canonicalKey` from the URL normaliser). */
export type ValidUrlListEntry = Omit<StagedUrlEntry, 'lineNumber' | 'provenance'>;

function optionalText(value: unknown, name: string, max: number): string | null | { error: string } {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') return { error: `${name} must be a string` };
  if ([...value].length > max || hasUnsafeTextCharacter(value))
    return { error: `${name} must be at most ${max} characters without control characters` };
  return value;
}

/**
 * Validates and normalises one entry. Never throws: a bad entry comes back with a stable code
 * (`MOD_ERR_URL_*` from the normaliser, or `MOD_ERR_CURATION_URL_ENTRY_INVALID` for the other fields).
 */
export function validateUrlListEntry(
  e: unknown,
): { ok: true; entry: ValidUrlListEntry } | { ok: false; code: string; message: string } {
  const bad = (message: string) => ({ ok: false as const, code: CurationErrorCode.UrlEntryInvalid, message });
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return bad('an entry must be an object');
  const r = e as Record<string, unknown>;
  const unknown = Object.keys(r).filter(
    (k) => !['kind', 'pattern', 'dedicatedToAbuse', 'block', 'category', 'note'].includes(k),
  );
  if (unknown.length > 0) return bad(`unknown field ${JSON.stringify(unknown[0]).slice(0, 40)}`);
  const kind = r['kind'];
  if (typeof kind !== 'string' || !(UrlListEntryKinds as readonly string[]).includes(kind))
    return bad(`kind must be one of ${UrlListEntryKinds.join(', ')}`);
  const pattern = r['pattern'];
  if (typeof pattern !== 'string' || pattern.trim() === '') return bad('pattern must be a non-empty string');
  // Kept as written beside its key: a NUL could not be stored (the whole import would fail), nor shown safely.
  if (hasUnsafeTextCharacter(pattern.trim())) return bad('pattern must be without control characters');
  for (const flag of ['dedicatedToAbuse', 'block'] as const) {
    if (r[flag] !== undefined && typeof r[flag] !== 'boolean') return bad(`${flag} must be true or false`);
  }
  const category = optionalText(r['category'], 'category', MAX_CATEGORY_CHARS);
  if (typeof category === 'object' && category !== null) return bad(category.error);
  const note = optionalText(r['note'], 'note', MAX_NOTE_CHARS);
  if (typeof note === 'object' && note !== null) return bad(note.error);
  // Listed as the parser reads it, kept as written: `https:///p/1` would list https://p/1 under a pattern without it.
  const written = writtenUrlProblem(pattern, { schemeOptional: true });
  if (written !== null) return { ok: false, code: UrlErrorCode.Invalid, message: written };
  let canonicalKey: string;
  try {
    canonicalKey = canonicalPatternKey(kind as UrlListEntryKind, pattern);
  } catch (err) {
    // The normaliser's own code (scheme, host, too long, not a URL) when it has one; else the list-entry code.
    const cause = (err as { cause?: unknown }).cause;
    const code = isModError(cause) ? cause.code : isModError(err) ? err.code : 'MOD_ERR_URL_INVALID';
    return { ok: false, code, message: (err as Error).message };
  }
  // The normaliser refuses a public suffix (co.uk); a private one (github.io) would list every customer's site.
  if (kind === 'domain' && isRegistrySuffix(canonicalKey))
    return {
      ok: false,
      code: UrlErrorCode.ListEntry,
      message: `domain pattern ${canonicalKey} is a suffix others register names under; list the names below it`,
    };
  // Dedicated to abuse means host-level whatever the kind: the ISPs' RPZ and domain list block the entry's host
  // and every name below it, so for `com` or `github.io` every site registered there.
  const dedicatedToAbuse = r['dedicatedToAbuse'] === true;
  const host = dedicatedToAbuse ? normalizePattern(pattern) : null;
  if (host?.ok === true && host.url.hostType === HostType.Domain && isRegistrySuffix(host.url.host))
    return {
      ok: false,
      code: UrlErrorCode.ListEntry,
      message: `${host.url.host} is a suffix others register names under: an entry dedicated to abuse would block every name under it`,
    };
  // Nor a host the WHATWG parser takes but DNS does not (`*.com`, `a"b.example`): the RPZ cannot list it, and a
  // blocking system reading the domain list's `*.com` as a wildcard would block every .com name.
  if (host?.ok === true && host.url.hostType === HostType.Domain && !isDnsName(host.url.host))
    return {
      ok: false,
      code: UrlErrorCode.ListEntry,
      message: `${host.url.host} is not a DNS name (labels of letters, digits, hyphens and underscores, at most 63 characters): an entry dedicated to abuse blocks a name`,
    };
  return {
    ok: true,
    entry: {
      kind: kind as UrlListEntryKind,
      pattern: pattern.trim(),
      canonicalKey,
      dedicatedToAbuse,
      block: r['block'] !== false,
      category,
      note,
    },
  };
}
