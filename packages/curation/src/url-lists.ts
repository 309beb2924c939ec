import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  addUrlListEntries,
  announceUrlBank,
  appendAudit,
  appendAuditBatch,
  insertBank,
  findLiveUrlListEntries,
  getUrlListBank,
  importUrlListEntries,
  lockUrlListBank,
  removeUrlListEntries,
  UrlListEntryKinds,
  withTransaction,
  type AuditEntry,
  type Pool,
  type StagedUrlEntry,
  type UrlBank,
  type UrlListEntryKind,
  type UrlListEntryRecord,
  type UrlListImportDiff,
} from '@mod/db';
import { splitLines, type BankListInput } from '@mod/matcher';
import { isModError } from '@mod/contracts';
import { canonicalPatternKey } from '@mod/urls';
import { CurationError, CurationErrorCode } from './errors.js';
import type { ImportProgress } from './import.js';

/**
 * Curators manage URL-list banks: create, change settings, add, remove and import entries. Every pattern is
 * normalised with the project's URL normaliser (`@mod/urls`: the rule fetchers and feeds match with); a bad
 * entry gets its own error with a stable code and never stops the others (unless the caller asks for strict).
 * Every change is announced on the URL-list changes topic (through the outbox, in the same transaction) and
 * audited in that transaction.
 */

/** Who makes a change, for the audit log. */
export interface Curator {
  actor: { kind: 'user' | 'service'; id: string };
  role: string | null;
  tenantId: string | null;
}

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
/** Longest line of an imported list (URLs are capped at 8,192 characters; JSON adds a little). */
export const MAX_URL_LIST_LINE_BYTES = 16 * 1024;

/** A validated entry: what the store needs (`canonicalKey` from the URL normaliser). */
export interface ValidUrlListEntry {
  kind: UrlListEntryKind;
  pattern: string;
  canonicalKey: string;
  dedicatedToAbuse: boolean;
  block: boolean;
  category: string | null;
  note: string | null;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function optionalText(value: unknown, name: string, max: number): string | null | { error: string } {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') return { error: `${name} must be a string` };
  if ([...value].length > max || CONTROL.test(value))
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
  for (const flag of ['dedicatedToAbuse', 'block'] as const) {
    if (r[flag] !== undefined && typeof r[flag] !== 'boolean') return bad(`${flag} must be true or false`);
  }
  const category = optionalText(r['category'], 'category', MAX_CATEGORY_CHARS);
  if (typeof category === 'object' && category !== null) return bad(category.error);
  const note = optionalText(r['note'], 'note', MAX_NOTE_CHARS);
  if (typeof note === 'object' && note !== null) return bad(note.error);
  let canonicalKey: string;
  try {
    canonicalKey = canonicalPatternKey(kind as UrlListEntryKind, pattern);
  } catch (err) {
    // The normaliser's own code (scheme, host, too long, not a URL) when it has one; else the list-entry code.
    const cause = (err as { cause?: unknown }).cause;
    const code = isModError(cause) ? cause.code : isModError(err) ? err.code : 'MOD_ERR_URL_INVALID';
    return { ok: false, code, message: (err as Error).message };
  }
  return {
    ok: true,
    entry: {
      kind: kind as UrlListEntryKind,
      pattern: pattern.trim(),
      canonicalKey,
      dedicatedToAbuse: r['dedicatedToAbuse'] === true,
      block: r['block'] !== false,
      category,
      note,
    },
  };
}

/** Settings of a new URL-list bank. */
export interface NewUrlList {
  name: string;
  source: string;
  licence?: string | null;
  version?: string | null;
  actionPolicy: 'automatic' | 'review';
  negative?: boolean;
}

const auditOf = (by: Curator, e: Omit<AuditEntry, 'actor' | 'role' | 'tenantId'>): AuditEntry => ({
  actor: by.actor,
  role: by.role,
  tenantId: by.tenantId,
  ...e,
});

/** The URL-list bank with this id or name, or a typed error. */
export async function findUrlList(pool: Pool, by: { id: string } | { name: string }): Promise<UrlBank> {
  const bank = await getUrlListBank(pool, by);
  if (bank === null)
    throw new CurationError(
      CurationErrorCode.UnknownUrlList,
      'id' in by ? `no URL list with id ${by.id}` : `no URL list named ${JSON.stringify(by.name)}`,
    );
  return bank;
}

/**
 * Creates a URL-list bank (a bank of signal type `url`) and tells every fetcher its settings. A bank of that
 * name that is not a URL list is refused; an existing URL list is returned as it is (`created: false`).
 */
export async function createUrlList(
  pool: Pool,
  list: NewUrlList,
  changesTopic: string,
  by: Curator,
): Promise<{ bank: UrlBank; created: boolean }> {
  return withTransaction(pool, async (c) => {
    const { bank, created } = await insertBank(c, {
      name: list.name,
      source: list.source,
      licence: list.licence ?? null,
      version: list.version ?? null,
      // The stored signal types are text; `url` marks a URL-list bank (hash signals are typed apart).
      signalTypes: ['url'] as never,
      categoryScheme: null,
      negative: list.negative ?? false,
      actionPolicy: list.actionPolicy,
    });
    const urlBank = await getUrlListBank(c, { id: bank.id });
    if (urlBank === null)
      throw new CurationError(
        CurationErrorCode.NotUrlList,
        `bank ${JSON.stringify(list.name)} is a hash bank`,
      );
    if (!created) return { bank: urlBank, created: false };
    await announceUrlBank(c, bank.id, changesTopic);
    await appendAudit(
      c,
      auditOf(by, {
        action: 'url_list.created',
        subject: { type: 'bank', id: bank.id },
        evidence: { name: list.name, actionPolicy: list.actionPolicy, negative: list.negative ?? false },
      }),
    );
    return { bank: urlBank, created: true };
  });
}

export interface UrlListSettings {
  enabled?: boolean;
  negative?: boolean;
  actionPolicy?: 'automatic' | 'review';
}

/** Changes a URL-list bank's settings, tells every fetcher (feeds read them directly), audits. */
export async function updateUrlListSettings(
  pool: Pool,
  bankId: string,
  s: UrlListSettings,
  changesTopic: string,
  by: Curator,
): Promise<UrlBank | null> {
  return withTransaction(pool, async (c) => {
    const { rowCount } = await c.query(
      `/* curator:update-url-bank */ update banks set enabled = coalesce($2, enabled),
         negative = coalesce($3, negative), action_policy = coalesce($4, action_policy),
         updated_at = clock_timestamp() where id = $1 and 'url' = any(signal_types)`,
      [bankId, s.enabled ?? null, s.negative ?? null, s.actionPolicy ?? null],
    );
    if (rowCount !== 1) return null;
    await announceUrlBank(c, bankId, changesTopic);
    await appendAudit(
      c,
      auditOf(by, {
        action: 'url_list.settings_changed',
        subject: { type: 'bank', id: bankId },
        evidence: { ...s },
      }),
    );
    return getUrlListBank(c, { id: bankId });
  });
}

export interface AddReport {
  /** The entries added (with their ids), in request order. */
  added: UrlListEntryRecord[];
  /** Valid entries already live in the list (same kind and canonical key), left as they are. */
  unchanged: UrlListEntryRecord[];
  /** Refused entries, by position in the request. */
  errors: EntryError[];
}

/**
 * Adds entries to a URL-list bank: each is validated and normalised; valid ones are added in one transaction
 * (a live entry with the same kind and canonical key is left as it is), announced to fetchers, and each
 * added entry is audited. With `strict`, any refused entry means nothing is added.
 */
export async function addUrlListPatterns(
  pool: Pool,
  a: {
    bankId: string;
    entries: readonly unknown[];
    changesTopic: string;
    provenance: string;
    by: Curator;
    strict?: boolean;
  },
): Promise<AddReport> {
  await findUrlList(pool, { id: a.bankId });
  const errors: EntryError[] = [];
  const valid: { index: number; entry: ValidUrlListEntry }[] = [];
  a.entries.forEach((raw, index) => {
    const v = validateUrlListEntry(raw);
    if (v.ok) valid.push({ index, entry: v.entry });
    else errors.push({ index, code: v.code, message: v.message });
  });
  if (a.strict === true && errors.length > 0) return { added: [], unchanged: [], errors };
  return withTransaction(pool, async (c) => {
    const bank = await getUrlListBank(c, { id: a.bankId });
    if (bank === null)
      throw new CurationError(CurationErrorCode.UnknownUrlList, `no URL list with id ${a.bankId}`);
    await lockUrlListBank(c, a.bankId);
    // Two entries of one request with the same key: the first counts.
    const seen = new Set<string>();
    const fresh = valid.filter(({ entry }) => {
      const key = `${entry.kind} ${entry.canonicalKey}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const { added } = await addUrlListEntries(
      c,
      a.bankId,
      fresh.map(({ entry }) => ({ ...entry, provenance: a.provenance })),
      a.changesTopic,
    );
    const addedKeys = new Set(added.map((e) => `${e.kind} ${e.canonicalKey}`));
    const live = await findLiveUrlListEntries(c, a.bankId, {
      keys: valid.map(({ entry }) => ({ kind: entry.kind, canonicalKey: entry.canonicalKey })),
    });
    const byKey = new Map(live.map((e) => [`${e.kind} ${e.canonicalKey}`, e]));
    const addedRecords = added.map((e) => byKey.get(`${e.kind} ${e.canonicalKey}`)!);
    const unchanged = [...byKey.entries()].filter(([k]) => !addedKeys.has(k)).map(([, e]) => e);
    await appendAuditBatch(
      c,
      addedRecords.map((e) =>
        auditOf(a.by, {
          action: 'url_list.entry_added',
          subject: { type: 'url-list-entry', id: e.id },
          reason: e.note,
          // The address itself stays out of the log (it points at abuse material): its digest identifies it.
          evidence: {
            bankId: a.bankId,
            kind: e.kind,
            keySha256: sha256(e.canonicalKey),
            dedicatedToAbuse: e.dedicatedToAbuse,
            block: e.block,
            category: e.category,
          },
        }),
      ),
    );
    return { added: addedRecords, unchanged, errors };
  });
}

/** What to remove: entry ids, or patterns (matched by kind and canonical key, as the index matches them). */
export type UrlListRemoval = { id: string } | { kind: UrlListEntryKind; pattern: string };

export interface RemoveReport {
  removed: UrlListEntryRecord[];
  /** Removals that named no live entry of the list (by position in the request). */
  notFound: number[];
  errors: EntryError[];
}

/**
 * Soft-removes entries of a URL-list bank (history is kept: the rows stay, marked removed), announces each
 * removal, and audits each with the reason.
 */
export async function removeUrlListPatterns(
  pool: Pool,
  a: {
    bankId: string;
    removals: readonly UrlListRemoval[];
    reason: string;
    changesTopic: string;
    by: Curator;
  },
): Promise<RemoveReport> {
  const errors: EntryError[] = [];
  const wanted: { index: number; id?: string; key?: string }[] = [];
  a.removals.forEach((r, index) => {
    if ('id' in r) {
      if (/^[0-9]{1,18}$/.test(r.id)) wanted.push({ index, id: r.id });
      else
        errors.push({
          index,
          code: CurationErrorCode.UrlEntryInvalid,
          message: 'an entry id is a decimal number',
        });
      return;
    }
    const v = validateUrlListEntry({ kind: r.kind, pattern: r.pattern });
    if (v.ok) wanted.push({ index, key: `${v.entry.kind} ${v.entry.canonicalKey}` });
    else errors.push({ index, code: v.code, message: v.message });
  });
  return withTransaction(pool, async (c) => {
    const bank = await getUrlListBank(c, { id: a.bankId });
    if (bank === null)
      throw new CurationError(CurationErrorCode.UnknownUrlList, `no URL list with id ${a.bankId}`);
    await lockUrlListBank(c, a.bankId);
    const live = await findLiveUrlListEntries(c, a.bankId, {
      ids: wanted.flatMap((w) => (w.id === undefined ? [] : [w.id])),
      keys: wanted.flatMap((w) => {
        if (w.key === undefined) return [];
        const space = w.key.indexOf(' ');
        return [{ kind: w.key.slice(0, space) as UrlListEntryKind, canonicalKey: w.key.slice(space + 1) }];
      }),
    });
    const byId = new Map(live.map((e) => [e.id, e]));
    const byKey = new Map(live.map((e) => [`${e.kind} ${e.canonicalKey}`, e]));
    const notFound: number[] = [];
    const targets = new Map<string, UrlListEntryRecord>();
    for (const w of wanted) {
      const hit = w.id !== undefined ? byId.get(w.id) : byKey.get(w.key!);
      if (hit === undefined) notFound.push(w.index);
      else targets.set(hit.id, hit);
    }
    const removedAt = new Map(
      (await removeUrlListEntries(c, a.bankId, [...targets.keys()], a.changesTopic)).map((r) => [
        r.id,
        r.removedAt,
      ]),
    );
    const removed = [...targets.values()].flatMap((e) => {
      const at = removedAt.get(e.id);
      return at === undefined ? [] : [{ ...e, removedAt: at }];
    });
    await appendAuditBatch(
      c,
      removed.map((e) =>
        auditOf(a.by, {
          action: 'url_list.entry_removed',
          subject: { type: 'url-list-entry', id: e.id },
          reason: a.reason,
          evidence: { bankId: a.bankId, kind: e.kind, keySha256: sha256(e.canonicalKey) },
        }),
      ),
    );
    return { removed, notFound, errors };
  });
}

/** Import file formats: one pattern per line (IWF style), or one JSON entry per line. */
export const UrlListFormats = ['txt', 'jsonl'] as const;
export type UrlListFormat = (typeof UrlListFormats)[number];

export interface UrlListImportRequest {
  bankId: string;
  format: UrlListFormat;
  input: BankListInput;
  /** txt: the kind, flags and category of every line. Default `url`, not dedicated, blocked, no category. */
  defaults?: {
    kind?: UrlListEntryKind;
    dedicatedToAbuse?: boolean;
    block?: boolean;
    category?: string | null;
  };
  /** replace (default): the file is the whole list; append: only add (and update flags). */
  mode?: 'replace' | 'append';
  /** Reject the whole file when any line is bad (nothing is written). Default false. */
  strict?: boolean;
  changesTopic: string;
  provenance: string;
  by: Curator;
  /** Called for every bad line as soon as it is found (a 10M-line report needs no memory). */
  onLineError?: (e: EntryError) => void;
  /** Called with the counts every {@link PROGRESS_EVERY_LINES} lines read, then once with phase `applying`. */
  onProgress?: (p: ImportProgress) => void;
  /** Changed entries above which fetchers reload instead of receiving one message per entry. Default 10000. */
  bulkThreshold?: number;
}

export interface UrlListImportReport extends Omit<UrlListImportDiff, 'addedIds' | 'removedIds'> {
  bankId: string;
  /** Non-blank, non-comment lines read. */
  lines: number;
  badLines: number;
  /** SHA-256 of the file as received (recorded in the audit log). */
  sha256: string;
}

/** Up to this many changed ids are listed in an import's audit record. */
const AUDITED_IDS_MAX = 1000;

/** How often (in lines read) an import reports its progress: rarely enough to cost nothing per line. */
const PROGRESS_EVERY_LINES = 1000;

/** Lines of a txt list that are not entries: blank, or a comment. */
const SKIP = /^\s*(#.*)?$/;

/**
 * Imports a URL list file into a bank: streams it line by line (bounded memory), validates and normalises
 * each line (bad lines reported with their number and code), bulk-loads with COPY in one transaction, returns
 * the diff and audits the import (counts and the file's SHA-256). A strict import with bad lines, or a replace
 * import without one valid line, writes nothing.
 */
export async function importUrlList(pool: Pool, req: UrlListImportRequest): Promise<UrlListImportReport> {
  await findUrlList(pool, { id: req.bankId });
  const hash = createHash('sha256');
  const input = hashing(req.input, hash);
  let lines = 0;
  let badLines = 0;
  const fail = (lineNumber: number, code: string, message: string) => {
    badLines++;
    req.onLineError?.({ index: lineNumber, code, message });
  };
  const defaults = req.defaults ?? {};
  let nextProgress = PROGRESS_EVERY_LINES;
  async function* good(): AsyncGenerator<StagedUrlEntry> {
    for await (const raw of splitLines(input, MAX_URL_LIST_LINE_BYTES)) {
      if (lines >= nextProgress) {
        nextProgress = lines + PROGRESS_EVERY_LINES;
        req.onProgress?.({ phase: 'reading', lines, badLines });
      }
      if ('tooLongBytes' in raw) {
        lines++;
        fail(
          raw.lineNumber,
          CurationErrorCode.UrlLineTooLong,
          `line longer than ${MAX_URL_LIST_LINE_BYTES} bytes`,
        );
        continue;
      }
      if ('badEncoding' in raw) {
        lines++;
        fail(raw.lineNumber, CurationErrorCode.UrlLineEncoding, 'line is not valid UTF-8');
        continue;
      }
      if (SKIP.test(raw.text)) continue;
      lines++;
      let candidate: unknown;
      if (req.format === 'txt') {
        candidate = {
          kind: defaults.kind ?? 'url',
          pattern: raw.text.trim(),
          dedicatedToAbuse: defaults.dedicatedToAbuse ?? false,
          block: defaults.block ?? true,
          category: defaults.category ?? null,
        };
      } else {
        try {
          candidate = JSON.parse(raw.text);
        } catch {
          fail(raw.lineNumber, CurationErrorCode.UrlLineJson, 'line is not JSON');
          continue;
        }
      }
      const v = validateUrlListEntry(candidate);
      if (!v.ok) {
        fail(raw.lineNumber, v.code, v.message);
        continue;
      }
      yield { lineNumber: raw.lineNumber, ...v.entry, provenance: req.provenance };
    }
  }
  const diff = await importUrlListEntries(pool, good(), {
    bankId: req.bankId,
    mode: req.mode ?? 'replace',
    changesTopic: req.changesTopic,
    ...(req.bulkThreshold === undefined ? {} : { bulkThreshold: req.bulkThreshold }),
    beforeApply: () => {
      if (req.strict === true && badLines > 0)
        throw new CurationError(
          CurationErrorCode.StrictRejected,
          `${badLines} bad line(s); strict import rejected the file`,
        );
      if ((req.mode ?? 'replace') === 'replace' && lines - badLines === 0)
        throw new CurationError(
          CurationErrorCode.EmptyList,
          'the list has no valid line; the list was left as it is',
        );
      req.onProgress?.({ phase: 'applying', lines, badLines });
    },
  });
  const sha256 = hash.digest('hex');
  const { addedIds: _added, removedIds: _removed, ...counts } = diff;
  const report: UrlListImportReport = { bankId: req.bankId, lines, badLines, sha256, ...counts };
  await withTransaction(pool, (c) =>
    appendAudit(
      c,
      auditOf(req.by, {
        action: 'url_list.imported',
        subject: { type: 'bank', id: req.bankId },
        reason: req.provenance,
        evidence: {
          fileSha256: sha256,
          mode: req.mode ?? 'replace',
          lines,
          badLines,
          added: diff.added,
          updated: diff.updated,
          removed: diff.removed,
          unchanged: diff.unchanged,
          duplicates: diff.duplicates,
          resync: diff.resync,
          // The ids of a small import; a large one is identified by the file digest (rows carry provenance).
          ...(diff.addedIds.length + diff.removedIds.length > AUDITED_IDS_MAX
            ? {}
            : { addedIds: diff.addedIds, removedIds: diff.removedIds }),
        },
      }),
    ),
  );
  return report;
}

/**
 * Passes the input through, feeding every byte to `hash`. Chunks of a stream become bytes; strings of a plain
 * iterable stay strings (the line splitter reads those as whole lines), hashed with the newline they stand for.
 */
async function* hashing(
  input: BankListInput,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<string | Uint8Array> {
  const isStream = input instanceof Readable;
  for await (const chunk of input as AsyncIterable<unknown>) {
    if (typeof chunk === 'string' && !isStream) {
      hash.update(chunk.endsWith('\n') ? chunk : `${chunk}\n`, 'utf8');
      yield chunk;
      continue;
    }
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk instanceof Uint8Array ? chunk : null;
    if (bytes === null)
      throw new CurationError(CurationErrorCode.UrlLineEncoding, 'list chunks must be strings or bytes');
    hash.update(bytes);
    yield bytes;
  }
}
